// The go test of 14's twins, run under the race detector (`go test -race
// leak.go twin_test.go`, and with fixed.go): with a ping every
// millisecond, three clients echo fifty messages each and close; the
// server stops, and goleak must find no goroutine left. The leak's test
// fails on the race detector's report ("race detected during execution of
// test"): this bug is a race, not a leak, and goleak passes it.
package main

import (
	"fmt"
	"testing"

	"leaklab/twin"

	"go.uber.org/goleak"
)

func TestOneWriterAtATime(t *testing.T) {
	heartbeatMs = 1
	r, err := twin.Start("127.0.0.1:0", twin.Upgrading(handle))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		c := twin.Dial(t, r.Addr, "/")
		for j := 0; j < 50; j++ {
			twin.Echo(t, c, fmt.Sprintf("message %d of client %d", j, i))
		}
		twin.Bye(c)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t)
}
