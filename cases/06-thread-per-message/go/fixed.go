// 06-thread-per-message, Go twin, fixed variant.
//
// An echo server with an audit trail, on Gin: the router serves the
// WebSocket on "/" (upgraded with gorilla/websocket), and an audit
// middleware hands the handler a function that ships a copy of every
// message to an audit collector that has become slow, its
// acknowledgements taking --sink-ms. A client asks "audited" to learn how
// many records the collector has taken so far.
//
// What leaked (leak.go): the middleware shipped each record with
// `go sink.Post(context.Background(), rec)`, so while the collector was
// slow every message held a goroutine for as long as its post took, up to
// a 30 s timeout: goroutines grew with the message rate, without bound.
//
// The fix: a bounded pool. auditWorkers goroutines, started once with the
// router, take the records from a channel with room for auditQueue of
// them. When it is full, the handler waits for room (backpressure): a
// slow collector slows its senders, instead of costing a goroutine and a
// record per message. At shutdown the server's context cancels the
// workers' waits; they ship what is still queued (no longer waiting) and
// the server waits for them, so every message is audited and no goroutine
// is left.
//
// Signals: the goroutine count stays at the baseline (the workers are part
// of it) whatever the load.
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

// The pool: as many workers, and as much room in the queue, as the C case's.
const (
	auditWorkers = 4
	auditQueue   = 1024
)

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

// audit is the middleware: it starts the pool's workers once, and gives
// every request a function that queues one record for them.
func audit(s *twin.Server, collector *sink) gin.HandlerFunc {
	// FIX: the workers, started once for the whole server, and a bounded queue.
	queue := make(chan []byte, auditQueue)
	for i := 0; i < auditWorkers; i++ {
		s.Go(func() {
			for {
				select {
				case rec := <-queue:
					collector.Post(s.Ctx, rec)
				case <-s.Ctx.Done():
					// FIX: ship what is queued (Post no longer waits), then end.
					for {
						select {
						case rec := <-queue:
							collector.Post(s.Ctx, rec)
						default:
							return
						}
					}
				}
			}
		})
	}
	return func(c *gin.Context) {
		c.Set("audit", func(msg []byte) {
			rec := record(msg)
			// FIX: hand the record to the workers; wait for room if they lag.
			select {
			case queue <- rec:
			case <-s.Ctx.Done():
				collector.Post(s.Ctx, rec) // stopping: the workers may be gone
			}
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
	twin.MainRouter("06-thread-per-message-fixed-go",
		"Echo server on Gin that audits every message through a bounded pool of workers.",
		func(s *twin.Server) http.Handler { return router(s) },
		twin.Knob{Name: "sink-ms", Value: &sinkMs, Help: "how long the audit collector takes to acknowledge"})
}
