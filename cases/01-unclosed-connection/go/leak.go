// 01-unclosed-connection, Go twin, leaking variant.
//
// What leaks: every client that drops without a close frame leaves its
// socket open and its *websocket.Conn (with its read and write buffers)
// held: one file descriptor and some 10 KiB of heap each.
//
// Why: the handler owns the connection its upgrader returned, and returns
// early when the peer vanished (gorilla reports 1006, abnormal closure)
// without closing it or taking it out of the server's set of open
// connections (a hijacked conn is the handler's: http.Server.Shutdown does
// not know it). So the set keeps it, and its socket, until the process
// exits. Without the set the leak is the same until the garbage collector
// happens to run the socket's finalizer: later, or never on a quiet heap.
//
// The fix (fixed.go): one exit path, a defer, taken by every way out.
//
// Signals: fds grow by one per dropped client; goroutines and threads stay
// flat (the handler's goroutine does return).
package main

import (
	"leaklab/twin"

	"github.com/gorilla/websocket"
)

func handle(s *twin.Server, conn *websocket.Conn) {
	s.Track(conn)
	for {
		mt, msg, err := conn.ReadMessage()
		// LEAK: a vanished peer returns without Untrack and Close: the conn and its fd stay.
		if websocket.IsCloseError(err, websocket.CloseAbnormalClosure) {
			return
		}
		if err != nil || conn.WriteMessage(mt, msg) != nil {
			break
		}
	}
	s.Untrack(conn)
	conn.Close()
}

func main() {
	twin.Main("01-unclosed-connection-leak-go",
		"Echo server that leaks the connection of every client that drops.", handle)
}
