// The go test of 04's twins (run as `go test leak.go twin_test.go`, and
// with fixed.go): ten clients echo and close, then the session registry
// must be empty, and once the server has stopped goleak must find no
// goroutine left. goleak sees goroutines only, and this leak is map
// entries: the leak fails on the registry ("10 sessions left"), and
// passes goleak.
package main

import (
	"testing"

	"leaklab/twin"

	"go.uber.org/goleak"
)

func TestEverySessionIsForgotten(t *testing.T) {
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
	mu.Lock()
	left := len(sessions)
	mu.Unlock()
	if left != 0 {
		t.Errorf("%d sessions left in the registry after every client went", left)
	}
	goleak.VerifyNone(t)
}
