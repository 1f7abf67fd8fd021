// The go test of 06's twins (run as `go test leak.go twin_test.go`, and
// with fixed.go): a client echoes twenty messages, each audited by a
// collector that takes 20 s to acknowledge, and closes; the server stops,
// and goleak must find no goroutine left. It finds the leak's twenty
// posts, each still waiting for its acknowledgement.
package main

import (
	"fmt"
	"net/http"
	"testing"

	"leaklab/twin"

	"go.uber.org/goleak"
)

func TestNoPostOutlivesTheServer(t *testing.T) {
	r, err := twin.Start("127.0.0.1:0", func(s *twin.Server) http.Handler { return router(s) })
	if err != nil {
		t.Fatal(err)
	}
	c := twin.Dial(t, r.Addr, "/")
	for i := 0; i < 20; i++ {
		twin.Echo(t, c, fmt.Sprintf("audit me %d", i))
	}
	twin.Bye(c)
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t)
}
