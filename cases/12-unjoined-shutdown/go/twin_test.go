// The go test of 12's twins (run as `go test leak.go twin_test.go`, and
// with fixed.go): five clients connect and echo, the server stops as on
// SIGTERM while they are still connected, and goleak must find no
// goroutine left. It finds the leak's five sessions, still reading:
// http.Server.Shutdown does not wait for hijacked connections.
package main

import (
	"testing"

	"leaklab/twin"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestStopWaitsForEverySession(t *testing.T) {
	r, err := twin.Start("127.0.0.1:0", sessions)
	if err != nil {
		t.Fatal(err)
	}
	var held []*websocket.Conn
	for i := 0; i < 5; i++ {
		c := twin.Dial(t, r.Addr, "/")
		twin.Echo(t, c, "still here")
		held = append(held, c)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	// Checked before the clients go: a session must end because the
	// server stopped it, not because its client left.
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	goleak.VerifyNone(t)
}
