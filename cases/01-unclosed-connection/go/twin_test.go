// The go test of 01's twins (run as `go test leak.go twin_test.go`, and
// with fixed.go): ten clients echo and vanish without a close frame
// (gorilla reports 1006 to the handler), then the server's set of open
// connections must be empty, and once the server has stopped goleak must
// find no goroutine left. goleak sees goroutines only, and this leak is a
// connection and its socket: the leak fails on the set ("10 connections
// still open"), and passes goleak.
package main

import (
	"testing"
	"time"

	"leaklab/twin"

	"go.uber.org/goleak"
)

func TestADroppedPeerIsClosed(t *testing.T) {
	r, err := twin.Start("127.0.0.1:0", twin.Upgrading(handle))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		c := twin.Dial(t, r.Addr, "/")
		twin.Echo(t, c, "hello")
		c.Close() // no close frame: the peer vanished
	}
	// The handlers see the drops as they come; give them a moment.
	open := 0
	for wait := 0; wait < 50; wait++ {
		if open = r.S.Open(); open == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if open != 0 {
		t.Errorf("%d connections still open after every peer dropped", open)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t)
}
