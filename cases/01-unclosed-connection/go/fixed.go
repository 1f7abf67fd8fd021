// 01-unclosed-connection, Go twin, fixed variant.
//
// What leaked (leak.go): the handler returned early on a dropped peer
// without closing the connection or taking it out of the server's set, so
// each dropped client kept its socket and buffers.
//
// The fix: one exit path. The defer runs on every way out of the handler,
// the early return included, as fixed.c's single ll_ws_conn_destroy().
//
// Signals: fds, goroutines and threads return to the baseline.
package main

import (
	"leaklab/twin"

	"github.com/gorilla/websocket"
)

func handle(s *twin.Server, conn *websocket.Conn) {
	s.Track(conn)
	// FIX: one cleanup on every path out, the early return included.
	defer func() {
		s.Untrack(conn)
		conn.Close()
	}()
	for {
		mt, msg, err := conn.ReadMessage()
		if websocket.IsCloseError(err, websocket.CloseAbnormalClosure) {
			return
		}
		if err != nil || conn.WriteMessage(mt, msg) != nil {
			break
		}
	}
}

func main() {
	twin.Main("01-unclosed-connection-fixed-go",
		"Echo server that closes every connection, dropped ones too.", handle)
}
