// 02-blocked-queue, Go twin, fixed variant.
//
// The server vets each request ("transfer 100 to bob") with three checker
// goroutines that run at the same time, each answering on its own channel.
// The handler reads the verdicts in order and answers "rejected: ..." at
// the first failing one, or "accepted" when all pass.
//
// What leaked (leak.go): every rejected request left checker goroutines
// blocked forever on unbuffered channels the handler stopped reading.
//
// The fix: each channel has room for its one verdict (make(chan string,
// 1)), so no send can block, and the handler waits for its checkers
// (a sync.WaitGroup, fixed.c's ll_group) before it answers. Cancelling a
// context on the early return, with a select in each sender, would free
// them too: the walkthrough compares the two.
//
// Signals: goroutines, fds and threads return to the baseline.
package main

import (
	"strings"
	"sync"

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
	var checkers sync.WaitGroup
	// FIX: the checkers are joined on every way out, the early return included.
	defer checkers.Wait()
	verdicts := make([]chan string, len(checks))
	for i, check := range checks {
		// FIX: room for the one verdict: the send never waits for a receive.
		verdicts[i] = make(chan string, 1)
		checkers.Add(1)
		go func(i int, check func(string) string) {
			defer checkers.Done()
			verdicts[i] <- check(text)
		}(i, check)
	}
	for _, ch := range verdicts {
		if why := <-ch; why != "" {
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
	twin.Main("02-blocked-queue-fixed-go",
		"Vets each request with three checker goroutines, joined on every answer.",
		handle)
}
