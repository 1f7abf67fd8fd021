// 14-racy-writes, Go twin, fixed variant.
//
// What went wrong (leak.go): the heartbeat's pings and the handler's
// echoes both called WriteMessage on one *websocket.Conn, which allows one
// writer at a time, so they raced on its write buffer and frame state:
// the race detector reports it, gorilla panics when two writes overlap.
//
// The fix: the writer gets a mutex, held for every whole message, the
// ping included, as fixed.c's writer lock is.
//
// Signals: no race report; every client sees a clean frame stream.
package main

import (
	"fmt"
	"os"
	"sync"
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
	mu   sync.Mutex
	conn *websocket.Conn
}

// send writes one whole message.
func (w *writer) send(typ int, msg []byte) error {
	// FIX: one writer at a time, for the whole message.
	w.mu.Lock()
	defer w.mu.Unlock()
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
	twin.Main("14-racy-writes-fixed-go",
		"Echo server whose heartbeat and echo take turns on one connection's writer.",
		handle,
		twin.Knob{Name: "heartbeat-ms", Value: &heartbeatMs, Help: "ping every this many ms"},
		twin.Knob{Name: "frame-bytes", Value: &frameBytes, Help: "accepted for the C programs' arguments"})
}
