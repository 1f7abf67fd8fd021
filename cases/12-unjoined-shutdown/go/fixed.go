// 12-unjoined-shutdown, Go twin, fixed variant.
//
// What leaked (leak.go): sessions started with a bare `go`, which neither
// http.Server.Shutdown (it does not know hijacked connections) nor main
// waited for, so the process exited under them and their clients got no
// close frame.
//
// The fix: every session is counted in a sync.WaitGroup and kept in a
// set; on shutdown (a hook the server runs after Shutdown) each one gets
// a close frame with 1001 (going away, RFC 6455 section 7.4.1), and the
// program waits for the group before it returns: the session reads the
// client's reply to the close, its read ends, and it closes its socket.
//
// Signals: every client held across SIGTERM gets 1001, and the program
// exits promptly.
package main

import (
	"net/http"
	"sync"
	"time"

	"leaklab/twin"

	"github.com/gorilla/websocket"
)

var (
	mu   sync.Mutex
	live = map[*websocket.Conn]struct{}{}
	wg   sync.WaitGroup
)

// session echoes until the connection ends.
func session(conn *websocket.Conn) {
	defer func() {
		mu.Lock()
		delete(live, conn)
		mu.Unlock()
		conn.Close()
		wg.Done()
	}()
	for {
		typ, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if conn.WriteMessage(typ, msg) != nil {
			return
		}
	}
}

// goAway sends every live session a 1001 and waits for them all. A
// session whose client does not answer within a second is cut off (its
// socket closed), so the wait is bounded.
func goAway() {
	msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down")
	mu.Lock()
	for c := range live {
		c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		c.SetReadDeadline(time.Now().Add(time.Second))
	}
	mu.Unlock()
	// FIX: main returns only once every session has ended.
	wg.Wait()
}

func sessions(s *twin.Server) http.Handler {
	s.OnShutdown(goAway)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := twin.Upgrade(w, r)
		if err != nil {
			return // answered 400
		}
		// FIX: each session is counted and kept, so the shutdown can reach it.
		mu.Lock()
		live[conn] = struct{}{}
		wg.Add(1)
		mu.Unlock()
		go session(conn)
	})
}

func main() {
	twin.MainRouter("12-unjoined-shutdown-fixed-go",
		"Echo server that sends every session 1001 and waits for it before it exits.", sessions)
}
