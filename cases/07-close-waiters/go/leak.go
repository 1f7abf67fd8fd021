// 07-close-waiters, Go twin, leaking variant.
//
// An echo server on nhooyr/websocket (Debian's 1.8.7) that ends
// conversations itself: when a client sends "close", the server starts the
// close handshake (RFC 6455 section 7.1.2: send a close frame, wait for
// the peer's, then close the TCP connection; section 7.1.1 asks the server
// to be the one that closes TCP), and so it does for a client quiet for
// --idle-ms. The reads have no context deadline: in nhooyr 1.8.7 a read
// context that expires while the read waits makes the connection's timeout
// goroutine spin until the connection is closed, starting a goroutine at
// each turn, and the Go runtime never frees a goroutine's descriptor; so
// the idle time is a timer that starts the close.
//
// What leaks: every peer that never answers the server's close frame
// keeps a waiter goroutine and its socket, for as long as the process
// runs.
//
// Why: the handler hands the close to a waiter goroutine of its own and
// returns at once. nhooyr's Close would bound the wait (1.8.7 waits a fixed
// 5 s for the reply), but the waiter never calls it: it writes the close
// frame itself, as a raw frame on the TCP connection, so the connection
// never learns that it is closing, and then reads until the peer's close
// frame comes, with context.Background(): no deadline at all. A
// well-behaved peer answers at once; one that is gone without a FIN, or
// buggy, or hostile, never does. (The --close-ms knob is there, unused.)
// Uber's study of Go leaks calls this shape a timeout where the waiter is
// stranded.
//
// The fix (fixed.go): nhooyr's own Close, on the handler's goroutine
// (which the server waits for), with a deadline of --close-ms.
//
// Signals: one goroutine and one fd more per peer that never answers; the
// OS threads stay flat (a goroutine blocked on a read holds no thread).
package main

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"sync"
	"time"

	"leaklab/twin"

	"nhooyr.io/websocket"
)

var (
	idleMs  = 30000
	closeMs = 2000
)

// hijacked remembers the TCP connection websocket.Accept takes over, so
// that the server can close it under nhooyr's Conn (nhooyr 1.8.7 has no
// CloseNow).
type hijacked struct {
	http.ResponseWriter
	conn net.Conn
}

func (h *hijacked) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := h.ResponseWriter.(http.Hijacker).Hijack()
	h.conn = c
	return c, rw, err
}

// conns are the open connections, for their 1001 on SIGTERM.
var (
	mu    sync.Mutex
	conns = map[*websocket.Conn]net.Conn{}
)

// closeWithin is the close handshake with a deadline: nhooyr's Close, and
// past d the TCP connection is closed under it, which ends its wait (what
// CloseNow does in nhooyr 1.8.11 and later).
func closeWithin(c *websocket.Conn, raw net.Conn, d time.Duration, code websocket.StatusCode, why string) {
	t := time.AfterFunc(d, func() { raw.Close() })
	defer t.Stop()
	c.Close(code, why)
}

// shutdown sends every open connection a 1001 (going away), each with the
// close deadline, all at once.
func shutdown() {
	var wg sync.WaitGroup
	mu.Lock()
	for c, raw := range conns {
		wg.Add(1)
		go func(c *websocket.Conn, raw net.Conn) {
			defer wg.Done()
			closeWithin(c, raw, time.Duration(closeMs)*time.Millisecond,
				websocket.StatusGoingAway, "server shutting down")
		}(c, raw)
	}
	mu.Unlock()
	wg.Wait()
}

// closeAndWait is the server's side of the close handshake: our close
// frame, then wait for the peer's close frame (data that comes first is
// dropped), then close the TCP connection.
func closeAndWait(c *websocket.Conn, raw net.Conn) {
	// 1000 (section 5.5.1), "bye": FIN and opcode 8, a 5-byte payload.
	bye := []byte{0x88, 5, 0x03, 0xe8, 'b', 'y', 'e'}
	// LEAK: a close frame the connection knows nothing about: no close deadline is armed.
	raw.Write(bye)
	for {
		// LEAK: and no deadline here: a peer that never answers keeps this goroutine forever.
		if _, _, err := c.Read(context.Background()); err != nil {
			break
		}
	}
	raw.Close()
}

func handle(s *twin.Server, c *websocket.Conn, raw net.Conn) {
	defer func() {
		mu.Lock()
		delete(conns, c)
		mu.Unlock()
	}()
	// LEAK: a quiet client gets the same waiter, on the timer's goroutine.
	idle := time.AfterFunc(time.Duration(idleMs)*time.Millisecond, func() { closeAndWait(c, raw) })
	for {
		typ, msg, err := c.Read(context.Background())
		if err != nil {
			// The peer closed (already answered) or vanished, or the
			// server closed the connection.
			idle.Stop()
			raw.Close()
			return
		}
		if string(msg) == "close" {
			break
		}
		if c.Write(s.Ctx, typ, msg) != nil {
			idle.Stop()
			raw.Close()
			return
		}
		idle.Reset(time.Duration(idleMs) * time.Millisecond)
	}
	idle.Stop()
	// LEAK: a waiter per connection, so this goroutine can return at once.
	go closeAndWait(c, raw)
}

func accept(s *twin.Server) http.Handler {
	s.OnShutdown(shutdown)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A broken handshake is answered 400 and the connection closed:
		// the client is not speaking WebSocket. (Accept replaces the
		// header with "Upgrade" when the handshake is good.)
		w.Header().Set("Connection", "close")
		h := &hijacked{ResponseWriter: w}
		c, err := websocket.Accept(h, r, &websocket.AcceptOptions{
			InsecureSkipVerify: true,
			CompressionMode:    websocket.CompressionDisabled,
		})
		if err != nil {
			return // answered by Accept
		}
		if h.conn == nil {
			c.Close(websocket.StatusInternalError, "")
			return
		}
		mu.Lock()
		conns[c] = h.conn
		mu.Unlock()
		s.Run(func() { handle(s, c, h.conn) })
	})
}

func main() {
	twin.MainRouter("07-close-waiters-leak-go",
		"Echo server on nhooyr/websocket that closes on \"close\" or when idle, "+
			"waiting for the reply on a goroutine of its own.",
		accept,
		twin.Knob{Name: "idle-ms", Value: &idleMs, Help: "close a connection quiet for this long"},
		twin.Knob{Name: "close-ms", Value: &closeMs, Help: "how long to wait for the peer's close reply"})
}
