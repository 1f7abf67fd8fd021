// 10-error-path, Go twin, fixed variant.
//
// What leaked (leak.go): the AuthMiddleware deleted a session on its last
// line, after c.Next(), so a bad token's early return and a panic in the
// handler (unwinding to the recover() middleware) both left the session
// and its verifier in the sync.Map.
//
// The fix: `defer sessions.Delete(key)` right after the Store. A defer
// runs on every return and while a panic unwinds, so every way out of the
// middleware deletes the session, as fixed.c's cleanup labels free what
// each error path holds.
//
// Signals: heap, goroutines and fds back to the baseline.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"leaklab/twin"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
)

// secret is the C case's AUTH_SECRET (cases/10-error-path/auth.h).
const secret = "leaklab-case-10-secret"

// faultInjection is accepted so that the C case's arguments serve the
// twin too; Go's allocations do not fail one by one, so it does nothing.
var faultInjection = 0

// Session is one upgrade attempt, then one authenticated client.
type Session struct {
	ID       string
	Key      string // "ID#SEQ": a client may connect more than once
	Started  time.Time
	Verifier hash.Hash // HMAC-SHA256 keyed with the secret
}

var (
	sessions sync.Map // Key -> *Session
	seq      atomic.Uint64
)

// valid says whether token is the HMAC of the session's id.
func (s *Session) valid(token string) bool {
	mac, err := hex.DecodeString(token)
	if err != nil || s.ID == "" {
		return false
	}
	s.Verifier.Reset()
	s.Verifier.Write([]byte(s.ID))
	return hmac.Equal(s.Verifier.Sum(nil), mac)
}

// Recovery is the recover() middleware: a panic below it is logged, and
// answered 500 if nothing was written yet.
func Recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				fmt.Fprintf(os.Stderr, "recovered: %v\n", r)
				if !c.Writer.Written() {
					c.AbortWithStatus(http.StatusInternalServerError)
				}
			}
		}()
		c.Next()
	}
}

// Handshake answers 400 (and closes) a request that is not a WebSocket
// upgrade at all, before anything is spent on it.
func Handshake() gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		if !websocket.IsWebSocketUpgrade(r) || r.Header.Get("Sec-WebSocket-Key") == "" {
			c.Header("Connection", "close")
			c.AbortWithStatus(http.StatusBadRequest)
			return
		}
		c.Next()
	}
}

// AuthMiddleware registers the attempt, checks its token, and lets a good
// one through with its session.
func AuthMiddleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.Query("id")
		sess := &Session{ID: id, Key: fmt.Sprintf("%s#%d", id, seq.Add(1)), Started: time.Now(),
			Verifier: hmac.New(sha256.New, []byte(secret))}
		sessions.Store(sess.Key, sess)
		// FIX: deleted on every way out: the early return, the panic, the end.
		defer sessions.Delete(sess.Key)
		if !sess.valid(c.Query("token")) {
			c.Header("Connection", "close")
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		c.Set("session", sess)
		c.Next()
	}
}

func handle(s *twin.Server, conn *websocket.Conn, sess *Session) {
	s.Track(conn)
	defer func() {
		s.Untrack(conn)
		conn.Close()
	}()
	for {
		typ, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if string(msg) == "whoami" {
			typ, msg = websocket.TextMessage, []byte("you are "+sess.ID)
		}
		if conn.WriteMessage(typ, msg) != nil {
			return
		}
	}
}

func router(s *twin.Server) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(Recovery(), Handshake(), AuthMiddleware())
	r.GET("/", func(c *gin.Context) {
		sess := c.MustGet("session").(*Session)
		conn, err := twin.Upgrade(c.Writer, c.Request)
		if err != nil {
			// Answered 400 by the upgrader; the Gin servers this
			// comes from panic here, and Recovery logs it.
			panic(fmt.Sprintf("upgrade for %s: %v", sess.Key, err))
		}
		s.Run(func() { handle(s, conn, sess) })
	})
	return r
}

func main() {
	twin.MainRouter("10-error-path-fixed-go",
		"Echo server on Gin whose AuthMiddleware deletes every session, with a defer.",
		router,
		twin.Knob{Name: "fault-injection", Value: &faultInjection,
			Help: "accepted for the C programs' arguments; does nothing in Go"})
}
