// The go test of 03's twins (run as `go test leak.go twin_test.go`, and
// with fixed.go): ten clients echo and close, the server stops, and goleak
// must find no goroutine left. It finds the leak's ten heartbeats, each
// still waiting on its ticker.
package main

import (
	"testing"

	"leaklab/twin"

	"go.uber.org/goleak"
)

func TestEveryHeartbeatStops(t *testing.T) {
	heartbeatMs = 100
	r, err := twin.Start("127.0.0.1:0", twin.Upgrading(handle))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		twin.EchoAndClose(t, r.Addr, "/")
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t)
}
