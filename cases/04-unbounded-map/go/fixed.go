// 04-unbounded-map, Go twin, fixed variant.
//
// The server keeps a session for each connection in a registry, a
// map[string]*Session behind a mutex: who the client is, when it came, and
// the last messages it sent, so that other parts of a server (an admin
// page, a broadcast) can find them. The message "sessions" is answered
// "sessions: N: ID ..." from the registry.
//
// What leaked (leak.go): every connection added a session to the map and
// none was ever deleted; the map, a global, kept them all alive.
//
// The fix: a defer deletes the session on every way out of the handler,
// so the map holds exactly the connections that are open.
//
// Signals: the heap, goroutines, fds and threads return to the baseline.
package main

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"leaklab/twin"

	"github.com/gorilla/websocket"
)

const historySize = 1024

// Session is what the server remembers of a client.
type Session struct {
	ID          string
	ConnectedAt time.Time
	Messages    uint64
	History     []byte // the most recent text the client sent, newest last
}

var (
	mu       sync.Mutex
	sessions = map[string]*Session{} // every session, keyed by connection id
	lastID   atomic.Uint64
)

func (s *Session) remember(msg []byte) {
	if len(msg) > historySize {
		msg = msg[len(msg)-historySize:]
	}
	if drop := len(s.History) + len(msg) - historySize; drop > 0 {
		s.History = append(s.History[:0], s.History[drop:]...)
	}
	s.History = append(s.History, msg...)
	s.Messages++
}

// list answers "sessions: N: ID ID ..." from the registry itself.
func list() string {
	mu.Lock()
	ids := make([]string, 0, len(sessions))
	for id := range sessions {
		ids = append(ids, id)
	}
	mu.Unlock()
	sort.Strings(ids)
	return fmt.Sprintf("sessions: %d: %s", len(ids), strings.Join(ids, " "))
}

func handle(s *twin.Server, conn *websocket.Conn) {
	id := fmt.Sprint(lastID.Add(1))
	sess := &Session{ID: id, ConnectedAt: time.Now(), History: make([]byte, 0, historySize)}
	mu.Lock()
	sessions[id] = sess
	mu.Unlock()
	s.Track(conn)
	defer func() {
		// FIX: the session leaves the registry with its connection.
		mu.Lock()
		delete(sessions, id)
		mu.Unlock()
		s.Untrack(conn)
		conn.Close()
	}()
	for {
		mt, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		mu.Lock()
		sess.remember(msg)
		mu.Unlock()
		if string(msg) == "sessions" {
			mt, msg = websocket.TextMessage, []byte(list())
		}
		if conn.WriteMessage(mt, msg) != nil {
			return
		}
	}
}

func main() {
	twin.Main("04-unbounded-map-fixed-go",
		"Echo server with a session registry of the clients connected now.", handle)
}
