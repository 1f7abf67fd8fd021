// The go test of 05's twins (run as `go test leak.go twin_test.go`, and
// with fixed.go): ten clients echo and close, the server stops as on
// SIGTERM, and goleak, Go's own leak detector, must find no goroutine
// left. It finds the leak's ten writers, each in `range outbox`.
package main

import (
	"testing"

	"leaklab/twin"

	"go.uber.org/goleak"
)

func TestNoGoroutineOutlivesItsConnection(t *testing.T) {
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
