// 05-orphaned-reader, Go twin, fixed variant.
//
// What leaked (leak.go): the writer goroutine ranged over an outbox
// channel that nobody closed, so every connection that ended left it
// blocked forever.
//
// The fix: the handler closes the outbox on every way out (a defer), the
// writer's range drains what is left and ends, and the handler waits for
// it (a done channel the writer closes), so no goroutine outlives its
// connection.
//
// Signals: goroutines, fds and threads return to the baseline.
package main

import (
	"leaklab/twin"

	"github.com/gorilla/websocket"
)

// outboxSize is room for a burst's messages in flight; a full outbox
// makes the reader wait.
const outboxSize = 16

type message struct {
	typ  int
	data []byte
}

// writer is the connection's only writer: it echoes what the outbox
// gives it, until the outbox is closed, and then closes done.
func writer(conn *websocket.Conn, outbox <-chan message, done chan<- struct{}) {
	defer close(done)
	for m := range outbox {
		if conn.WriteMessage(m.typ, m.data) != nil {
			// A dead connection: keep draining, so the reader never
			// waits on a full outbox.
			continue
		}
	}
}

func handle(s *twin.Server, conn *websocket.Conn) {
	s.Track(conn)
	defer func() {
		s.Untrack(conn)
		conn.Close()
	}()
	outbox := make(chan message, outboxSize)
	done := make(chan struct{})
	go writer(conn, outbox, done)
	// FIX: close the outbox on every way out, and wait for the writer to see it.
	defer func() {
		close(outbox)
		<-done
	}()
	for {
		typ, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		outbox <- message{typ, data}
	}
}

func main() {
	twin.Main("05-orphaned-reader-fixed-go",
		"Echo server that closes each connection's outbox, so its writer ends.", handle)
}
