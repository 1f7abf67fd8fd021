// 04-unbounded-map, Go twin, leaking variant.
//
// The server keeps a session for each connection in a registry, a
// map[string]*Session behind a mutex: who the client is, when it came, and
// the last messages it sent, so that other parts of a server (an admin
// page, a broadcast) can find them. The message "sessions" is answered
// "sessions: N: ID ..." from the registry.
//
// What leaks: every connection adds a session of about 1.1 KiB to the map,
// and none is ever deleted. The map grows with every client that ever
// connected, not with the clients connected now.
//
// Why: the close path forgets to delete the session. The garbage collector
// cannot help: the map, a global, still points to every session, so to the
// runtime they are live data, not garbage.
//
// The fix (fixed.go): a defer deletes the session on every way out.
//
// Signals: the heap (HeapAlloc after runtime.GC()) grows by about 1.1 KiB
// per client; goroutines, fds and threads stay flat.
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
		s.Untrack(conn)
		conn.Close()
	}()
	// LEAK: nothing deletes sessions[id]: the session outlives its connection.
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
	twin.Main("04-unbounded-map-leak-go",
		"Echo server with a session registry that never forgets a client.", handle)
}
