// The go test of 02's twins (run as `go test leak.go twin_test.go`, and
// with fixed.go): a client sends ten requests that a check rejects, then
// closes; the server stops, and goleak must find no goroutine left. It
// finds the leak's checkers, each blocked on a send nobody receives.
package main

import (
	"testing"

	"leaklab/twin"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestRejectedRequestsLeaveNoChecker(t *testing.T) {
	r, err := twin.Start("127.0.0.1:0", twin.Upgrading(handle))
	if err != nil {
		t.Fatal(err)
	}
	c := twin.Dial(t, r.Addr, "/")
	for i := 0; i < 10; i++ {
		if err := c.WriteMessage(websocket.TextMessage, []byte("transfer 100 to mallory")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	twin.Bye(c)
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t)
}
