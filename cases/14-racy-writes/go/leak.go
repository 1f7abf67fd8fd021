// 14-racy-writes, Go twin, racy variant. (The file is leak.go, as every
// twin's is; what it has is not a leak but a data race.)
//
// An echo server with a heartbeat, like case 03's: a goroutine per
// connection pings the client every --heartbeat-ms, and the handler
// echoes every message. Both write on the one *websocket.Conn.
//
// What goes wrong: gorilla/websocket allows one concurrent writer
// ("Connections support one concurrent reader and one concurrent writer",
// its documentation says; only Close and WriteControl may be called
// from anywhere). WriteMessage, pings included, fills the connection's
// one write buffer and its frame state (beginMessage, writeBuf,
// isWriting) without a lock, so the heartbeat and the echo race on them.
// Built with -race, Go's race detector reports it ("WARNING: DATA RACE")
// the first time the two meet, whether or not the bytes on the wire were
// hurt; without it, the symptom is gorilla's own best-effort check,
// `panic("concurrent write to websocket connection")`, only when two
// writes overlap in time, or a corrupted frame stream.
//
// The fix (fixed.go): one mutex per connection, held for every whole
// message written, the ping included (the C fix's writer lock; gorilla's
// WriteControl is the other answer for the ping alone).
//
// Signals: the race detector's report at exit (read by the harness as
// DRD's report is read); clients that see a broken frame stream.
package main

import (
	"fmt"
	"os"
	"time"

	"leaklab/twin"

	"github.com/gorilla/websocket"
)

var (
	heartbeatMs = 1000
	// frameBytes is accepted so that the C case's arguments serve the
	// twin too: gorilla cuts frames by its write buffer, not per call.
	frameBytes = 4096
)

// writer is the connection's message writer, shared by the handler's
// echo and the heartbeat.
type writer struct {
	conn *websocket.Conn
}

// send writes one whole message.
func (w *writer) send(typ int, msg []byte) error {
	// LEAK: (a race) nothing keeps the heartbeat and the echo apart.
	return w.conn.WriteMessage(typ, msg)
}

// beat pings the client every heartbeatMs until done is closed. A panic
// (gorilla's "concurrent write") ends the connection, not the process.
func beat(w *writer, done <-chan struct{}) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "heartbeat: %v\n", r)
			w.conn.Close()
		}
	}()
	t := time.NewTicker(time.Duration(heartbeatMs) * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if w.send(websocket.PingMessage, nil) != nil {
				return
			}
		}
	}
}

func handle(s *twin.Server, conn *websocket.Conn) {
	s.Track(conn)
	w := &writer{conn: conn}
	done := make(chan struct{})
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		beat(w, done)
	}()
	defer func() {
		close(done)
		<-beating
		s.Untrack(conn)
		conn.Close()
	}()
	for {
		typ, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if w.send(typ, msg) != nil {
			return
		}
	}
}

func main() {
	twin.Main("14-racy-writes-leak-go",
		"Echo server whose heartbeat and echo write on one connection without a lock.",
		handle,
		twin.Knob{Name: "heartbeat-ms", Value: &heartbeatMs, Help: "ping every this many ms"},
		twin.Knob{Name: "frame-bytes", Value: &frameBytes, Help: "accepted for the C programs' arguments"})
}
