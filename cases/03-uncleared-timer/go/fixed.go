// 03-uncleared-timer, Go twin, fixed variant.
//
// Each connection gets a heartbeat: a goroutine with a time.Ticker that
// pings the client (the seeds' ticker loop, and gorilla's chat example).
//
// What leaked (leak.go): the heartbeat goroutine of every ended connection
// ran on forever, because nothing told it the connection was gone.
//
// The fix: the handler closes done on its way out; the goroutine's select
// sees it, stops its ticker and returns; the handler waits for that before
// closing the connection (fixed.c's ll_timer_cancel, which joins). Stop
// first, close second: the goroutine never pings a closed connection.
//
// Signals: goroutines, fds and threads return to the baseline.
package main

import (
	"time"

	"leaklab/twin"

	"github.com/gorilla/websocket"
)

var heartbeatMs = 1000

func heartbeat(conn *websocket.Conn, done <-chan struct{}) {
	every := time.Duration(heartbeatMs) * time.Millisecond
	t := time.NewTicker(every)
	// FIX: the ticker is stopped, and the loop ends when done is closed.
	defer t.Stop()
	for {
		select {
		case <-t.C:
			conn.WriteControl(websocket.PingMessage, []byte("hb"), time.Now().Add(time.Second))
			// The next ping one interval from now: a late tick is not followed by an early one.
			t.Reset(every)
		case <-done:
			return
		}
	}
}

func handle(s *twin.Server, conn *websocket.Conn) {
	s.Track(conn)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		heartbeat(conn, done)
	}()
	for {
		mt, msg, err := conn.ReadMessage()
		if err != nil || conn.WriteMessage(mt, msg) != nil {
			break
		}
	}
	// FIX: stop the heartbeat on the way out, and wait until it has returned.
	close(done)
	<-stopped
	s.Untrack(conn)
	conn.Close()
}

func main() {
	twin.Main("03-uncleared-timer-fixed-go",
		"Echo server with a heartbeat per connection, stopped when it closes.", handle,
		twin.Knob{Name: "heartbeat-ms", Value: &heartbeatMs, Help: "milliseconds between pings"})
}
