// node-leaky.js - a Node.js WebSocket server on the `ws` package that
// leaks the way Node servers do, for leaklab-probe's tests. It listens on
// PORT from its environment and serves GET /metrics on the same port
// ("app_timers N": the live timers, from process.getActiveResourcesInfo()).
//
//   node node-leaky.js timer   a heartbeat setInterval per connection,
//                              never cleared (caught on timers)
//   node node-leaky.js fd      a log file opened per connection, never
//                              closed (caught on fds)
//   node node-leaky.js clean   neither: the same server, fixed
'use strict';

const fs = require('fs');
const http = require('http');

function loadWs() {
  for (const name of ['ws', '/usr/share/nodejs/ws']) {
    try {
      return require(name);
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  console.error('node-leaky: the ws package is not installed (apt-get install node-ws)');
  process.exit(1);
}

const { WebSocketServer } = loadWs();
const mode = process.argv[2] || 'clean';
const server = http.createServer((req, res) => {
  if (req.url === '/metrics') {
    const timers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    res.end(`app_timers ${timers}\n`);
    return;
  }
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({ server });

wss.on('connection', (ws) => {
  if (mode === 'timer') {
    // LEAK: the heartbeat is never cleared when the connection closes.
    setInterval(() => {
      if (ws.readyState === ws.OPEN) ws.ping();
    }, 30000);
  } else if (mode === 'fd') {
    // LEAK: the connection's log is never closed.
    fs.openSync('/dev/null', 'a');
  } else {
    // FIX: the heartbeat goes with the connection.
    const beat = setInterval(() => ws.ping(), 30000);
    ws.on('close', () => clearInterval(beat));
  }
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
