// Helpers for the twins' go tests (cases/NN-slug/go/twin_test.go): a
// client that connects, echoes and closes as the harness's scenarios do.

package twin

import (
	"fmt"
	"time"

	"github.com/gorilla/websocket"
)

// TB is the part of testing.TB the twins' go tests' helpers use (the
// package does not import testing, so the twins' binaries do not).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Dial opens a client connection to the server at addr, path path, with
// gorilla's client, or fails the test. The caller closes it.
func Dial(t TB, addr, path string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	c, _, err := d.Dial("ws://"+addr+path, nil)
	if err != nil {
		t.Fatalf("dial %s%s: %v", addr, path, err)
	}
	return c
}

// Echo sends msg on c and fails the test unless it comes back unchanged
// within 5 s.
func Echo(t TB, c *websocket.Conn, msg string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
	for {
		typ, got, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if typ == websocket.TextMessage && string(got) == msg {
			return
		}
	}
}

// Bye ends c as a polite client does: a close frame (1000), the server's
// reply awaited for up to a second, then the socket closed.
func Bye(c *websocket.Conn) {
	c.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"),
		time.Now().Add(time.Second))
	c.SetReadDeadline(time.Now().Add(time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			break
		}
	}
	c.Close()
}

// EchoAndClose is one client of the connect-close scenario: connect, one
// echo, a clean close.
func EchoAndClose(t TB, addr, path string) {
	t.Helper()
	c := Dial(t, addr, path)
	Echo(t, c, fmt.Sprintf("hello from %s", c.LocalAddr()))
	Bye(c)
}
