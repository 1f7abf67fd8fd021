// 13-slow-consumer, Go twin, fixed variant.
//
// What leaked (leak.go): each client's send queue was a slice with no
// bound, so a client that stopped reading made it grow with every message
// broadcast.
//
// The fix: gorilla's chat example's own shape. Each client's queue is a
// buffered channel of sendSize messages, and the broadcast sends without
// blocking: a client whose channel is full is dropped (its channel is
// closed and it leaves the hub), and its writer ends the connection with a
// close frame, 1008 (policy violation, RFC 6455 section 7.4.1), so the
// client learns why. The clients that keep up get every message.
//
// Signals: heap, goroutines and fds back to the baseline.
package main

import (
	"sync"
	"time"

	"leaklab/twin"

	"github.com/gorilla/websocket"
)

var writeTimeoutMs = 10000

// closeTimeoutMs is how long a dropped client has to answer its close
// frame before its connection goes, as the C library's close timeout.
var closeTimeoutMs = 2000

// sendSize is the most messages a client may have waiting: 16 of the
// harness's 16 KiB messages, the C fix's 256 KiB (the chat example uses 256).
const sendSize = 16

type client struct {
	conn *websocket.Conn
	send chan []byte // closed by the hub when the client is dropped
}

// The hub: every connected client.
var (
	hubMu   sync.Mutex
	clients = map[*client]struct{}{}
)

// broadcast offers msg to every client, dropping those that cannot take it.
func broadcast(msg []byte) {
	hubMu.Lock()
	defer hubMu.Unlock()
	for c := range clients {
		select {
		case c.send <- msg:
		default:
			// FIX: a full channel means a client that does not keep up: drop it.
			close(c.send)
			delete(clients, c)
		}
	}
}

// writePump sends the client's messages in order; when the hub has
// dropped the client, it says why (1008) and returns.
func (c *client) writePump(done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case msg, ok := <-c.send:
			c.conn.SetWriteDeadline(time.Now().Add(time.Duration(writeTimeoutMs) * time.Millisecond))
			if !ok {
				c.conn.WriteMessage(websocket.CloseMessage,
					websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "too slow"))
				// A client that never answers would hold its handler in a read for good.
				c.conn.SetReadDeadline(time.Now().Add(time.Duration(closeTimeoutMs) * time.Millisecond))
				return
			}
			if c.conn.WriteMessage(websocket.TextMessage, msg) != nil {
				return // the connection is gone; the handler sees it too
			}
		}
	}
}

// backlog is the most messages any client has waiting (the go test's view).
func backlog() int {
	hubMu.Lock()
	defer hubMu.Unlock()
	most := 0
	for c := range clients {
		if len(c.send) > most {
			most = len(c.send)
		}
	}
	return most
}

func handle(s *twin.Server, conn *websocket.Conn) {
	c := &client{conn: conn, send: make(chan []byte, sendSize)}
	s.Track(conn)
	hubMu.Lock()
	clients[c] = struct{}{}
	hubMu.Unlock()
	done := make(chan struct{})
	writer := make(chan struct{})
	go func() {
		defer close(writer)
		c.writePump(done)
	}()
	defer func() {
		close(done)
		hubMu.Lock()
		delete(clients, c)
		hubMu.Unlock()
		s.Untrack(conn)
		conn.Close()
		<-writer
	}()
	for {
		typ, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if typ == websocket.TextMessage {
			broadcast(msg)
		}
	}
}

func main() {
	twin.Main("13-slow-consumer-fixed-go",
		"Chat hub that drops a client whose buffered send channel is full (1008).",
		handle,
		twin.Knob{Name: "write-timeout-ms", Value: &writeTimeoutMs, Help: "deadline of one write to a client"},
		twin.Knob{Name: "close-timeout-ms", Value: &closeTimeoutMs, Help: "time a dropped client has to answer its close frame"})
}
