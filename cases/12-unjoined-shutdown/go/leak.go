// 12-unjoined-shutdown, Go twin, leaking variant.
//
// An echo server whose connections outlive their handler: the handler
// upgrades, hands the connection to a session goroutine and returns, as
// servers that keep a hub or a pool of sessions do. A hijacked connection
// (every gorilla Upgrade hijacks) is not the http.Server's any more:
// Shutdown neither closes it nor waits for it ("Shutdown does not attempt
// to close nor wait for hijacked connections such as WebSockets", says
// its documentation). The sessions are the program's to stop.
//
// What leaks: on SIGTERM the server shuts down, main returns (os.Exit),
// and the process ends with every session goroutine still running. Their
// clients never get a close frame: the TCP connection just ends (1006 to
// them), in the middle of whatever the session was sending.
//
// Why: the sessions are started with a bare `go`, counted nowhere, and
// nothing sends them a close or waits for them: Go's "main returns before
// wg.Wait()".
//
// The fix (fixed.go): every session is counted in a sync.WaitGroup and
// kept in a set; at shutdown each gets a close frame with 1001 (going
// away, RFC 6455 section 7.4.1), and the program waits for the group.
//
// Signals: clients without a 1001 at exit, in proportion to the clients
// connected when SIGTERM came (the shutdown scenario).
package main

import (
	"net/http"

	"leaklab/twin"

	"github.com/gorilla/websocket"
)

// session echoes until the connection ends.
func session(conn *websocket.Conn) {
	defer conn.Close()
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

func sessions(s *twin.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := twin.Upgrade(w, r)
		if err != nil {
			return // answered 400
		}
		// LEAK: a session nobody counts, tells to go away, or waits for.
		go session(conn)
	})
}

func main() {
	twin.MainRouter("12-unjoined-shutdown-leak-go",
		"Echo server whose sessions are still running when it exits.", sessions)
}
