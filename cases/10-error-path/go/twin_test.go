// The go test of 10's twins (run as `go test leak.go twin_test.go`, and
// with fixed.go): ten upgrades with a bad token (401), one with a good
// token whose upgrade fails (the handler panics, the recover() middleware
// catches it), three good clients that echo and close; then the session
// map must be empty, and once the server has stopped goleak must find no
// goroutine left. goleak sees goroutines only, and this leak is map
// entries: the leak fails on the map ("11 sessions left"), and passes
// goleak.
package main

import (
	"net/http"
	"testing"

	"leaklab/twin"

	"go.uber.org/goleak"
)

const goodPath = "/?id=alice&token=d40581eb8da5dbc672913afcfbdf922daae41fb76abf0b7001dc161964e6d101"

// upgrade sends an upgrade request to path with version and returns its status.
func upgrade(t *testing.T, addr, path, version string) int {
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", version)
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestEveryWayOutDeletesTheSession(t *testing.T) {
	r, err := twin.Start("127.0.0.1:0", router)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if st := upgrade(t, r.Addr, "/?id=alice&token=00", "13"); st != 401 {
			t.Fatalf("a bad token was answered %d, expected 401", st)
		}
	}
	// Gorilla refuses version 8 after the token passed: the handler panics.
	if st := upgrade(t, r.Addr, goodPath, "8"); st != 400 {
		t.Fatalf("a failed upgrade was answered %d, expected 400", st)
	}
	for i := 0; i < 3; i++ {
		twin.EchoAndClose(t, r.Addr, goodPath)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	left := 0
	sessions.Range(func(k, v any) bool { left++; return true })
	if left != 0 {
		t.Errorf("%d sessions left in the map after every client went", left)
	}
	http.DefaultClient.CloseIdleConnections()
	goleak.VerifyNone(t)
}
