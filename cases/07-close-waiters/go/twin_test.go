// The go test of 07's twins (run as `go test leak.go twin_test.go`, and
// with fixed.go): five clients ask the server to close ("close") and never
// answer its close frame; the server stops, and goleak must find no
// goroutine left. It finds the leak's five waiters, each reading for a
// reply that never comes.
package main

import (
	"testing"

	"leaklab/twin"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestNoWaiterOutlivesItsDeadline(t *testing.T) {
	closeMs = 50
	r, err := twin.Start("127.0.0.1:0", accept)
	if err != nil {
		t.Fatal(err)
	}
	var silent []*websocket.Conn
	for i := 0; i < 5; i++ {
		c := twin.Dial(t, r.Addr, "/")
		twin.Echo(t, c, "hello")
		if err := c.WriteMessage(websocket.TextMessage, []byte("close")); err != nil {
			t.Fatal(err)
		}
		silent = append(silent, c) // never read again: the close is never answered
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	// Checked before the clients go: a waiter must end by its own
	// deadline, not because its peer left.
	defer func() {
		for _, c := range silent {
			c.Close()
		}
	}()
	goleak.VerifyNone(t)
}
