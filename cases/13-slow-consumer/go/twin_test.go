// The go test of 13's twins (run as `go test leak.go twin_test.go`, and
// with fixed.go): a client that never reads stays connected while another
// publishes 600 messages of 16 KiB and reads each back; then no client may
// have more than the fix's 16 messages waiting, and, once every client has
// gone and the server has stopped, goleak must find no goroutine left.
// goleak sees goroutines only, and this leak is a queue: the leak fails
// on the backlog ("600 messages waiting"), and passes goleak.
package main

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"leaklab/twin"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestNoClientQueuesWithoutBound(t *testing.T) {
	r, err := twin.Start("127.0.0.1:0", twin.Upgrading(handle))
	if err != nil {
		t.Fatal(err)
	}
	// The silent client: a small receive buffer, and it never reads.
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			c.(*net.TCPConn).SetReadBuffer(4096)
		}
		return c, err
	}}
	slow, _, err := d.Dial("ws://"+r.Addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := twin.Dial(t, r.Addr, "/")
	msg := bytes.Repeat([]byte("m"), 16384)
	for i := 0; i < 600; i++ {
		pub.SetReadDeadline(time.Now().Add(5 * time.Second))
		if err := pub.WriteMessage(websocket.TextMessage, msg); err != nil {
			t.Fatal(err)
		}
		if _, _, err := pub.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	waiting := backlog()
	slow.Close()
	twin.Bye(pub)
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if waiting > 16 {
		t.Errorf("a client that never reads has %d messages waiting (at most 16)", waiting)
	}
	goleak.VerifyNone(t)
}
