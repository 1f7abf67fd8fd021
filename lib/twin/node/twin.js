// twin.js - the program around a Node.js twin of a case: what lib/app.c is
// to the C programs. It parses --host, --port and the case's knobs, serves
// WebSocket on "/" (Debian's node-ws) and a Prometheus /metrics on the
// same port, prints the kit's ready line, and on SIGTERM or SIGINT shuts
// down: the server stops accepting, every connection gets a close frame
// (1001, going away), and the process exits 0 once they are closed.
//
// /metrics is the seeds' own view of a Node server: the live timers and
// sockets of process.getActiveResourcesInfo(), and the heap after a full
// collection (global.gc(), so node runs with --expose-gc), beside the
// threads and fds the kit's probe reports for C programs.
//
// A case's leak.js and fixed.js hold only the connection handler: the
// lesson is `diff -u leak.js fixed.js`. A twin whose runtime count is its
// own (09's listeners) adds it to /metrics with gauge().
'use strict';

const fs = require('fs');
const http = require('http');
const { WebSocketServer } = require('ws');

// The Threads: line of /proc/self/status: V8's and libuv's threads too.
function threads() {
  const m = /^Threads:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : -1;
}

// The open descriptors, not counting the one that reads the directory.
function fds() {
  return fs.readdirSync('/proc/self/fd').length - 1;
}

// The gauges a twin added with gauge(): [name, help, read], in order.
const gauges = [];

// Adds "leaklab_NAME value" to /metrics; read() is called at each request.
function gauge(name, help, read) {
  gauges.push([name, help, read]);
}

function metrics() {
  // Twice: what one full collection's finalizers and weak callbacks leave
  // is freed by the next, and a single gc() left the heap up to 180 KB
  // above itself from one sample to the next.
  if (typeof global.gc === 'function') {
    global.gc();
    global.gc();
  }
  const mem = process.memoryUsage();
  const live = process.getActiveResourcesInfo();
  const count = (kind) => live.filter((r) => r === kind).length;
  // The JS heap plus ArrayBuffer backing stores (Buffers), which V8 keeps
  // outside its heap: together, what the program's objects hold.
  const lines = [
    '# HELP leaklab_heap_bytes V8 heap used plus ArrayBuffers, after gc().',
    '# TYPE leaklab_heap_bytes gauge',
    `leaklab_heap_bytes ${mem.heapUsed + mem.arrayBuffers}`,
    '# TYPE leaklab_threads gauge',
    `leaklab_threads ${threads()}`,
    '# TYPE leaklab_open_fds gauge',
    `leaklab_open_fds ${fds()}`,
    '# HELP leaklab_timers Live timers (Timeout in process.getActiveResourcesInfo()).',
    '# TYPE leaklab_timers gauge',
    `leaklab_timers ${count('Timeout')}`,
    '# HELP leaklab_sockets Live TCP sockets (TCPSocketWrap), this request\'s included.',
    '# TYPE leaklab_sockets gauge',
    `leaklab_sockets ${count('TCPSocketWrap')}`,
  ];
  for (const [name, help, read] of gauges) {
    lines.push(`# HELP leaklab_${name} ${help}`, `# TYPE leaklab_${name} gauge`, `leaklab_${name} ${read()}`);
  }
  return lines.join('\n') + '\n';
}

function usage(name, summary, knobs) {
  let text = `usage: ${name} [options]\n${summary}\n\n` +
    '  --host ADDR       address to listen on (default 127.0.0.1)\n' +
    '  --port N          port, 0 for any free one (default 0)\n' +
    '  --help            this text\n';
  for (const [k, v] of Object.entries(knobs)) {
    text += `  --${k.padEnd(16)} ${v.help} (default ${v.value})\n`;
  }
  return text + '\nPrints "leaklab: listening on HOST:PORT" when ready; SIGINT or SIGTERM stops it.\n';
}

// Parses argv into { host, port, knobs }; exits 0 on --help, 2 on a bad option.
function parse(name, summary, knobs) {
  const o = { host: '127.0.0.1', port: 0 };
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i].replace(/^--?/, '');
    if (a === 'help' || a === 'h') {
      process.stdout.write(usage(name, summary, knobs));
      process.exit(0);
    }
    const v = args[++i];
    if (v === undefined) break;
    if (a === 'host') o.host = v;
    else if (a === 'port' && /^\d+$/.test(v)) o.port = Number(v);
    else if (knobs[a] && /^\d+$/.test(v)) knobs[a].value = Number(v);
    else {
      process.stderr.write(`${name}: bad option --${a} ${v}\n` + usage(name, summary, knobs));
      process.exit(2);
    }
  }
  return o;
}

// Runs the server around onConnection(ws, req) and exits on SIGTERM.
// knobs: { 'heartbeat-ms': { value: 1000, help: '...' } }, read after parsing.
function main(name, summary, onConnection, knobs = {}) {
  const o = parse(name, summary, knobs);
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', Connection: 'close' });
      res.end(metrics());
      return;
    }
    res.writeHead(426, { Connection: 'close' });
    res.end('a WebSocket server: upgrade, or GET /metrics\n');
  });
  // ws answers a broken handshake 400 and destroys the socket itself.
  const wss = new WebSocketServer({ server });
  wss.on('connection', onConnection);
  server.listen(o.port, o.host, () => {
    const a = server.address();
    process.stdout.write(`leaklab: listening on ${a.address}:${a.port}\n`);
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close();
    // Every connection gets 1001 (RFC 6455 section 7.4.1); ws's own set
    // holds the open ones. The process exits once they have closed, or
    // after a second: a leak variant's timers would keep it up for ever.
    const done = () => process.exit(0);
    let open = wss.clients.size;
    if (open === 0) done();
    for (const ws of wss.clients) {
      ws.once('close', () => { if (--open === 0) done(); });
      ws.close(1001, 'server shutting down');
    }
    setTimeout(done, 1000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

module.exports = { main, gauge };
