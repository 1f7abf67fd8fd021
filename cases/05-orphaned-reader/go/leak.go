// 05-orphaned-reader, Go twin, leaking variant.
//
// Each connection has an outbox, a buffered channel drained by a writer
// goroutine of its own, the only goroutine that writes on the connection
// (gorilla's chat example: a client's send channel and its writePump).
// The handler reads each message and puts it in the outbox; the writer
// echoes it. A slow client then stalls only its own writer, never the
// goroutine that reads.
//
// What leaks: every connection that ends leaves its writer goroutine
// behind, blocked in `for msg := range outbox` forever, with the
// connection it holds (its buffers, not its socket: the handler closed
// that).
//
// Why: a range over a channel ends only when the channel is closed, and
// nobody closes the outbox: the handler returns at the end of the stream
// and forgets it. Uber's study of Go leaks calls it the never-closed
// receive; the garbage collector cannot help, since a goroutine blocked
// on a channel it can still reach is live.
//
// The fix (fixed.go): the handler closes the outbox on its way out
// (close(done), in the seeds' words), the writer drains it and returns,
// and the handler waits for it.
//
// Signals: one goroutine more per closed connection, never fewer; fds and
// threads stay flat.
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
// gives it, until the outbox is closed.
func writer(conn *websocket.Conn, outbox <-chan message) {
	// LEAK: this range ends only when outbox is closed, and nobody closes it.
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
	go writer(conn, outbox)
	for {
		typ, data, err := conn.ReadMessage()
		if err != nil {
			// LEAK: returns without close(outbox): the writer waits forever.
			return
		}
		outbox <- message{typ, data}
	}
}

func main() {
	twin.Main("05-orphaned-reader-leak-go",
		"Echo server whose per-connection writer ranges over an outbox nobody closes.", handle)
}
