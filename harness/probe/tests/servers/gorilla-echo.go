// gorilla-echo.go - an echo server on github.com/gorilla/websocket, as its
// own examples write one, with net/http/pprof on the same port so that
// leaklab-probe --runtime can count goroutines. With -leak, every
// connection also starts a goroutine that waits for a channel nobody
// closes: the goroutine leak leaklab-probe must catch.
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o gorilla-echo gorilla-echo.go
//	gorilla-echo -addr 127.0.0.1:PORT [-leak]
package main

import (
	"flag"
	"log"
	"net/http"
	_ "net/http/pprof"

	"github.com/gorilla/websocket"
)

var (
	addr     = flag.String("addr", "127.0.0.1:8080", "where to listen")
	leak     = flag.Bool("leak", false, "keep a goroutine per connection")
	upgrader = websocket.Upgrader{}
	never    = make(chan struct{})
)

func echo(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	if *leak {
		// LEAK: a watcher per connection that waits for a channel never
		// closed, so it outlives the connection.
		go func() { <-never }()
	}
	for {
		mt, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := c.WriteMessage(mt, msg); err != nil {
			return
		}
	}
}

func main() {
	flag.Parse()
	http.HandleFunc("/", echo)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
