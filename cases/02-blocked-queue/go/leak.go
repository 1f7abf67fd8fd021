// 02-blocked-queue, Go twin, leaking variant.
//
// The server vets each request ("transfer 100 to bob") with three checker
// goroutines that run at the same time, each answering on its own channel.
// The handler reads the verdicts in order and answers "rejected: ..." at
// the first failing one, or "accepted" when all pass.
//
// What leaks: every rejected request leaves checker goroutines blocked
// forever on a send, with their channels and the request's text.
//
// Why: the channels are unbuffered (make(chan string), a rendezvous): a
// send blocks until somebody receives. On the first failure the handler
// returns, and the checkers whose verdicts it never read wait for a
// receiver that will never come. Uber's study of Go leaks calls this the
// early return: N senders, fewer than N receives.
//
// The fix (fixed.go): channels with room for the verdict, and a wait for
// the checkers before the handler answers.
//
// Signals: goroutines grow by two per rejected request (the recipient check
// runs first, so two verdicts are never read). The OS threads stay flat: a
// goroutine blocked on a channel holds no thread.
package main

import (
	"strings"

	"leaklab/twin"

	"github.com/gorilla/websocket"
)

// Each check returns "" if the request passes it, or why it does not.
var checks = []func(string) string{
	func(t string) string { // the recipient
		if strings.Contains(t, "mallory") {
			return "recipient is blocked"
		}
		return ""
	},
	func(t string) string { // the amount: at most six digits
		i := strings.IndexAny(t, "0123456789")
		if i >= 0 && len(t[i:])-len(strings.TrimLeft(t[i:], "0123456789")) > 6 {
			return "amount too large"
		}
		return ""
	},
	func(t string) string { // the length
		if len(t) > 256 {
			return "request too long"
		}
		return ""
	},
}

func vet(text string) string {
	verdicts := make([]chan string, len(checks))
	for i, check := range checks {
		// LEAK: unbuffered: a checker's send waits for a receive.
		verdicts[i] = make(chan string)
		go func(i int, check func(string) string) {
			verdicts[i] <- check(text)
		}(i, check)
	}
	for _, ch := range verdicts {
		if why := <-ch; why != "" {
			// LEAK: returns at the first failure; the checkers not yet read block forever.
			return "rejected: " + why
		}
	}
	return "accepted"
}

func handle(s *twin.Server, conn *websocket.Conn) {
	s.Track(conn)
	defer func() {
		s.Untrack(conn)
		conn.Close()
	}()
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if conn.WriteMessage(websocket.TextMessage, []byte(vet(string(msg)))) != nil {
			return
		}
	}
}

func main() {
	twin.Main("02-blocked-queue-leak-go",
		"Vets each request with three checker goroutines; a rejected request strands the rest.",
		handle)
}
