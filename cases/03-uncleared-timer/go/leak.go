// 03-uncleared-timer, Go twin, leaking variant.
//
// Each connection gets a heartbeat: a goroutine with a time.Ticker that
// pings the client (the seeds' ticker loop, and gorilla's chat example).
//
// What leaks: the heartbeat goroutine of every connection that has ended
// keeps running, forever, with its ticker and the connection it holds.
//
// Why: the close path never stops it. The goroutine has no way to learn
// that the connection ended (no done channel, no context), and its pings
// on the closed connection fail with an error it ignores. Nothing crashes,
// nobody notices, and the goroutines pile up: Uber's "Start without Stop".
//
// The fix (fixed.go): the handler closes a done channel on its way out,
// the goroutine returns and stops its ticker, and the handler waits for it.
//
// Signals: goroutines grow by one per closed connection. The OS threads
// stay flat: a goroutine parked on a ticker's channel holds no thread,
// which is why /proc shows nothing and pprof's goroutine count does.
package main

import (
	"time"

	"leaklab/twin"

	"github.com/gorilla/websocket"
)

var heartbeatMs = 1000

func heartbeat(conn *websocket.Conn) {
	every := time.Duration(heartbeatMs) * time.Millisecond
	t := time.NewTicker(every)
	// LEAK: no Stop() and no done case: this loop never ends.
	for range t.C {
		// After the connection closed this fails; a heartbeat has nothing to say about it.
		conn.WriteControl(websocket.PingMessage, []byte("hb"), time.Now().Add(time.Second))
		// The next ping one interval from now: a late tick is not followed by an early one.
		t.Reset(every)
	}
}

func handle(s *twin.Server, conn *websocket.Conn) {
	s.Track(conn)
	go heartbeat(conn)
	for {
		mt, msg, err := conn.ReadMessage()
		if err != nil || conn.WriteMessage(mt, msg) != nil {
			break
		}
	}
	s.Untrack(conn)
	conn.Close()
}

func main() {
	twin.Main("03-uncleared-timer-leak-go",
		"Echo server with a heartbeat per connection that is never stopped.", handle,
		twin.Knob{Name: "heartbeat-ms", Value: &heartbeatMs, Help: "milliseconds between pings"})
}
