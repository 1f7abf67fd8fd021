// 13-slow-consumer, Go twin, leaking variant.
//
// A chat hub in the shape of gorilla/websocket's chat example: every text
// message a client sends is broadcast to every connected client, its
// sender included. Each client has a send queue and a writer goroutine of
// its own (the example's writePump), so one slow client does not hold up
// the broadcast to the others.
//
// What leaks: the queue of a client that stops reading. Once its socket
// buffers are full, its writer waits in a write, and every message
// broadcast meanwhile is appended to its queue, a slice with no bound.
// The queue holds each message (16 KiB in the harness's scenario) for as
// long as the client stays connected and silent.
//
// Why: the broadcast asks nothing of a queue before it appends: the
// example's buffered channel and its `default:` case, which drop a client
// that cannot keep up, were replaced by a slice "so that no message is
// ever lost". A write deadline does not help: it bounds one write, not
// what piles up behind it.
//
// The fix (fixed.go): the example's own shape: a buffered channel per
// client and a non-blocking send; a client whose channel is full is
// dropped, and its writer ends the connection with a close frame, 1008
// (policy violation, RFC 6455 section 7.4.1), so the client learns why.
//
// Signals: the heap (HeapAlloc after runtime.GC()) grows by about 16 KiB
// per message published while a slow client stays; goroutines and fds
// are flat.
package main

import (
	"sync"
	"time"

	"leaklab/twin"

	"github.com/gorilla/websocket"
)

var writeTimeoutMs = 10000

// closeTimeoutMs is the fix's: how long a dropped client has to answer
// its close frame. The leak drops no one; it takes the option so that
// both twins share one command line.
var closeTimeoutMs = 2000

type client struct {
	conn *websocket.Conn
	mu   sync.Mutex
	// LEAK: a queue with no bound: a client that never reads makes it grow.
	queue [][]byte
	wake  chan struct{} // a token: the queue has something
	done  chan struct{} // closed when the client's handler ends
}

// The hub: every connected client.
var (
	hubMu   sync.Mutex
	clients = map[*client]struct{}{}
)

// broadcast appends msg to every client's queue.
func broadcast(msg []byte) {
	hubMu.Lock()
	defer hubMu.Unlock()
	for c := range clients {
		c.mu.Lock()
		c.queue = append(c.queue, msg)
		c.mu.Unlock()
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// writePump sends the client's queue in order until its handler ends.
func (c *client) writePump() {
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
		}
		for {
			c.mu.Lock()
			if len(c.queue) == 0 {
				c.mu.Unlock()
				break
			}
			msg := c.queue[0]
			c.queue[0] = nil
			c.queue = c.queue[1:]
			c.mu.Unlock()
			c.conn.SetWriteDeadline(time.Now().Add(time.Duration(writeTimeoutMs) * time.Millisecond))
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
		c.mu.Lock()
		if len(c.queue) > most {
			most = len(c.queue)
		}
		c.mu.Unlock()
	}
	return most
}

func handle(s *twin.Server, conn *websocket.Conn) {
	c := &client{conn: conn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.Track(conn)
	hubMu.Lock()
	clients[c] = struct{}{}
	hubMu.Unlock()
	writer := make(chan struct{})
	go func() {
		defer close(writer)
		c.writePump()
	}()
	defer func() {
		hubMu.Lock()
		delete(clients, c)
		hubMu.Unlock()
		close(c.done)
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
	twin.Main("13-slow-consumer-leak-go",
		"Chat hub whose per-client queue grows without bound for a client that never reads.",
		handle,
		twin.Knob{Name: "write-timeout-ms", Value: &writeTimeoutMs, Help: "deadline of one write to a client"},
		twin.Knob{Name: "close-timeout-ms", Value: &closeTimeoutMs, Help: "time a dropped client has to answer its close frame"})
}
