// Package twin is the program around a Go twin of a case: what lib/app.c
// is to the C programs. It parses --host, --port and the case's knobs,
// serves WebSocket on "/" (gorilla/websocket, or the case's own router:
// MainRouter, for Gin or nhooyr/websocket), net/http/pprof and a
// Prometheus /metrics on the same port, prints the kit's ready line, and on
// SIGTERM or SIGINT shuts down: http.Server.Shutdown, a close frame (1001,
// going away) to every connection still open, the context cancelled, and a
// wait for every handler the server started. Then it exits 0.
//
// A case's leak.go and fixed.go hold only the handler: the lesson is
// `diff -u leak.go fixed.go`, as it is `diff -u leak.c fixed.c`.
//
// Built offline in GOPATH mode (GO111MODULE=off) against Debian's
// golang-github-gorilla-websocket-dev (and a case's own packages: Gin,
// nhooyr); cmake/LeaklabTwin.cmake does it.
package twin

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof" // the seeds' own tool: /debug/pprof/goroutine?debug=1
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// With LEAKLAB_GO_MEMPROFILERATE=1 (the harness's --heap-profile sets
// it) every allocation is recorded in the heap profile (/debug/pprof/heap),
// not one in 512 KiB: the harness diffs two of them, and a leak of a
// kilobyte a client must show as exactly that. The records live outside
// the Go heap, so HeapAlloc (the heap signal) does not move; recording
// costs time on every allocation, so it is not on by default. (GODEBUG's
// memprofilerate does not survive the runtime's own initialisation in Go
// 1.19.)
func init() {
	if n, err := strconv.Atoi(os.Getenv("LEAKLAB_GO_MEMPROFILERATE")); err == nil && n > 0 {
		runtime.MemProfileRate = n
	}
}

// Knob is a case's own integer option (e.g. --heartbeat-ms), as in ll_app_knob.
type Knob struct {
	Name  string
	Value *int
	Help  string
}

// Server is what a handler may use: the shutdown context, the wait group
// of the goroutines the server owns, and the set of open connections.
type Server struct {
	// Ctx is cancelled once SIGTERM has stopped new connections.
	Ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[*websocket.Conn]struct{}
	hooks []func()
}

// OnShutdown registers f, called on SIGTERM once the listener is closed,
// beside the close frames to the tracked connections and before Ctx is
// cancelled: the way to say goodbye to connections of another WebSocket
// library (nhooyr's), which Track does not know. f must return promptly.
func (s *Server) OnShutdown(f func()) {
	s.mu.Lock()
	s.hooks = append(s.hooks, f)
	s.mu.Unlock()
}

// Run runs f on the calling goroutine (a handler's, started by net/http),
// counted in the wait group the shutdown waits for, as Go does for a
// goroutine of its own.
func (s *Server) Run(f func()) {
	s.wg.Add(1)
	defer s.wg.Done()
	f()
}

// Track records an open connection. A hijacked connection (every
// WebSocket) is not the http.Server's any more: Shutdown neither closes it
// nor waits for it, so the server keeps its own set, to send each one a
// close frame on SIGTERM. Untrack must follow on the connection's way out,
// or the set keeps the connection, its buffers and its socket.
func (s *Server) Track(c *websocket.Conn) {
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
}

// Untrack forgets a connection the handler is done with.
func (s *Server) Untrack(c *websocket.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Open is how many connections are tracked now (a twin's go test asks).
func (s *Server) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Go runs f on a goroutine the shutdown waits for (a sync.WaitGroup, Go's
// ll_group): f must return once s.Ctx is done.
func (s *Server) Go(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// closeAll sends every open connection a close frame, 1001 (going away,
// RFC 6455 section 7.4.1), and closes its socket, so that every handler's
// read returns.
func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down")
	for c := range s.conns {
		c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		c.Close()
	}
}

// upgrader answers a broken handshake 400 and closes the connection: the
// client is not speaking WebSocket, so keeping it alive serves nobody.
var upgrader = websocket.Upgrader{
	CheckOrigin: func(r *http.Request) bool { return true },
	Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
		w.Header().Set("Connection", "close")
		w.Header().Set("Sec-WebSocket-Version", "13")
		http.Error(w, http.StatusText(status), status)
	},
}

// Upgrade answers the opening handshake on w with gorilla/websocket, or
// answers 400 and returns the error (the connection is then closed). The
// caller owns the connection it returns, as a handler of Main does.
func Upgrade(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) {
	return upgrader.Upgrade(w, r, nil)
}

// count returns the entries of a /proc directory, or -1.
func count(dir string) int {
	f, err := os.Open(dir)
	if err != nil {
		return -1
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return -1
	}
	return len(names) - 1 // not the descriptor reading it
}

// threads reads the Threads: line of /proc/self/status: the OS threads,
// which the Go runtime multiplexes goroutines onto.
func threads() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		var n int
		if _, err := fmt.Sscanf(line, "Threads: %d", &n); err == nil {
			return n
		}
	}
	return -1
}

// metrics is the kit's probe in Go: the names lib/src/probe.c serves, plus
// the goroutine count. The heap is HeapAlloc after a full collection, the
// bytes reachable now (what is garbage does not count as in use).
func metrics(w http.ResponseWriter, r *http.Request) {
	var ms runtime.MemStats
	// Twice: a sync.Pool keeps its objects through one collection (its
	// victim cache) and frees them at the next.
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# HELP leaklab_heap_bytes Go heap in use after runtime.GC() (HeapAlloc).\n"+
		"# TYPE leaklab_heap_bytes gauge\nleaklab_heap_bytes %d\n", ms.HeapAlloc)
	fmt.Fprintf(w, "# TYPE leaklab_threads gauge\nleaklab_threads %d\n", threads())
	fmt.Fprintf(w, "# TYPE leaklab_open_fds gauge\nleaklab_open_fds %d\n", count("/proc/self/fd"))
	fmt.Fprintf(w, "# TYPE leaklab_goroutines gauge\nleaklab_goroutines %d\n", runtime.NumGoroutine())
}

// Main runs the server around handler and exits. handler owns conn: it
// must close it (and Untrack it) on every way out. It runs on the
// goroutine net/http started for the request, counted in the server's
// wait group.
func Main(name, summary string, handler func(s *Server, conn *websocket.Conn), knobs ...Knob) {
	MainRouter(name, summary, Upgrading(handler), knobs...)
}

// Running is a server started by Start: its Server (what handlers use)
// and the address it listens on.
type Running struct {
	S      *Server
	Addr   string
	srv    *http.Server
	served chan error
}

// Start listens on addr ("host:port", port 0 for any free one) and serves
// root on "/", beside /metrics and /debug/pprof/, on a goroutine of its
// own. Returns the running server, or the listen error. Main and
// MainRouter use it; so do the twins' go tests, which drive a case's
// handler through it and then Stop it as SIGTERM does.
func Start(addr string, root func(s *Server) http.Handler) (*Running, error) {
	s := &Server{conns: make(map[*websocket.Conn]struct{})}
	s.Ctx, s.cancel = context.WithCancel(context.Background())
	mux := http.NewServeMux()
	mux.Handle("/debug/pprof/", http.DefaultServeMux)
	mux.HandleFunc("/metrics", metrics)
	mux.Handle("/", root(s))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.cancel()
		return nil, err
	}
	r := &Running{S: s, Addr: ln.Addr().String(), srv: &http.Server{Handler: mux},
		served: make(chan error, 1)}
	go func() { r.served <- r.srv.Serve(ln) }()
	return r, nil
}

// Stop is the shutdown SIGTERM starts: stop accepting and finish plain
// HTTP requests (http.Server.Shutdown); then the hijacked connections,
// which Shutdown does not know (a 1001 to every tracked one, then the
// OnShutdown hooks); then the context is cancelled and every goroutine
// the server counts is waited for. Returns Shutdown's error, if any.
func (r *Running) Stop() error {
	sctx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	err := r.srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	s := r.S
	s.closeAll()
	s.mu.Lock()
	hooks := s.hooks
	s.mu.Unlock()
	for _, f := range hooks {
		f()
	}
	s.cancel()
	s.wg.Wait()
	<-r.served
	return err
}

// Upgrading is the root handler of a gorilla twin: it upgrades "/" and
// runs handler on the request's goroutine, counted in the server's wait
// group. Main serves it; a twin's go test starts it with Start.
func Upgrading(handler func(s *Server, conn *websocket.Conn)) func(s *Server) http.Handler {
	return func(s *Server) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, err := Upgrade(w, r)
			if err != nil {
				return // answered 400 by upgrader.Error
			}
			s.Run(func() { handler(s, conn) })
		})
	}
}

// MainRouter runs the server with root serving "/" (a Gin engine, or a
// handler that accepts with another WebSocket library), built once the
// knobs are parsed, and exits. /metrics and /debug/pprof/ stay the
// server's own. A root handler that keeps a connection must count itself
// with s.Run and end when the server stops: once s.Ctx is done, or when an
// OnShutdown hook closes its connection.
func MainRouter(name, summary string, root func(s *Server) http.Handler, knobs ...Knob) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	host := fs.String("host", "127.0.0.1", "address to listen on")
	port := fs.Int("port", 0, "port, 0 for any free one")
	for _, k := range knobs {
		fs.IntVar(k.Value, k.Name, *k.Value, k.Help)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s [options]\n%s\n\n", name, summary)
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nPrints \"leaklab: listening on HOST:PORT\" when ready; "+
			"SIGINT or SIGTERM stops it.\n")
	}
	fs.Parse(os.Args[1:])

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	r, err := Start(net.JoinHostPort(*host, fmt.Sprint(*port)), root)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: listen: %v\n", name, err)
		os.Exit(1)
	}
	fmt.Printf("leaklab: listening on %s\n", r.Addr)
	os.Stdout.Sync()

	select {
	case <-ctx.Done():
	case err := <-r.served:
		fmt.Fprintf(os.Stderr, "%s: serve: %v\n", name, err)
		os.Exit(1)
	}
	if err := r.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: shutdown: %v\n", name, err)
	}
	os.Exit(0)
}
