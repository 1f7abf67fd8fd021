// 06-thread-per-message, Go twin, leaking variant.
//
// An echo server with an audit trail, on Gin: the router serves the
// WebSocket on "/" (upgraded with gorilla/websocket), and an audit
// middleware hands the handler a function that ships a copy of every
// message to an audit collector that has become slow, its
// acknowledgements taking --sink-ms. A client asks "audited" to learn how
// many records the collector has taken so far.
//
// What leaks: a goroutine per message, for as long as the collector takes
// to acknowledge it (up to a 30 s timeout), each with its copy of the
// record. While the collector is slow the goroutine count follows the
// message rate, without bound.
//
// Why: the middleware must not slow the echo down, so it ships each record
// with `go sink.Post(context.Background(), rec)` and forgets it: the
// request's context is detached so that the post outlives the request.
// Nothing bounds how many posts run at once, and nothing waits for them at
// shutdown. Each post is correct; their number is the leak.
//
// The fix (fixed.go): a bounded pool of workers started once, a buffered
// channel with a fixed number of slots, and backpressure when it is full.
//
// Signals: goroutines +1 per message in a burst, for as long as the
// collector lags; the OS threads stay flat (a goroutine waiting on a timer
// holds no thread).
package main

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"leaklab/twin"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
)

// shipTimeout is the long timeout of one shipment, as audit clients have.
const shipTimeout = 30 * time.Second

// recordMax cuts longer audit records.
const recordMax = 200

var sinkMs = 20000

// sink stands for a remote audit collector that has become slow: it takes
// every record at once (so it counts as audited), but acknowledges it only
// after --sink-ms. It lives in this process so that the case needs no
// second server; the waiting is the same as on a socket.
type sink struct{ received atomic.Int64 }

// Post ships one record and blocks until its acknowledgement, the timeout,
// or ctx is done.
func (s *sink) Post(ctx context.Context, rec []byte) error {
	s.received.Add(1)
	wait := time.Duration(sinkMs) * time.Millisecond
	if wait > shipTimeout {
		wait = shipTimeout
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func record(msg []byte) []byte {
	if len(msg) > recordMax {
		msg = msg[:recordMax]
	}
	return append([]byte(nil), msg...)
}

// audit is the middleware: it gives every request a function that ships
// one record.
func audit(s *twin.Server, collector *sink) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set("audit", func(msg []byte) {
			rec := record(msg)
			// LEAK: a goroutine per message, however many are still waiting.
			go collector.Post(context.Background(), rec)
		})
		c.Next()
	}
}

func handle(s *twin.Server, conn *websocket.Conn, collector *sink, ship func([]byte)) {
	s.Track(conn)
	defer func() {
		s.Untrack(conn)
		conn.Close()
	}()
	for {
		typ, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if string(msg) == "audited" {
			reply := fmt.Sprintf("audited: %d", collector.received.Load())
			err = conn.WriteMessage(websocket.TextMessage, []byte(reply))
		} else if err = conn.WriteMessage(typ, msg); err == nil {
			ship(msg)
		}
		if err != nil {
			return
		}
	}
}

func router(s *twin.Server) *gin.Engine {
	collector := &sink{}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(audit(s, collector))
	r.GET("/", func(c *gin.Context) {
		conn, err := twin.Upgrade(c.Writer, c.Request)
		if err != nil {
			return // answered 400
		}
		ship := c.MustGet("audit").(func([]byte))
		s.Run(func() { handle(s, conn, collector, ship) })
	})
	return r
}

func main() {
	twin.MainRouter("06-thread-per-message-leak-go",
		"Echo server on Gin that audits every message on a goroutine of its own.",
		func(s *twin.Server) http.Handler { return router(s) },
		twin.Knob{Name: "sink-ms", Value: &sinkMs, Help: "how long the audit collector takes to acknowledge"})
}
