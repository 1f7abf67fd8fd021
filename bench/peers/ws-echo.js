// ws-echo.js - the Node.js peer of leaklab-bench: an echo server on the
// `ws` package, with its defaults (no permessage-deflate on the server).
// Speaks the kit's protocol for servers: binds 127.0.0.1, port 0 (or the
// first argument), prints "leaklab: listening on 127.0.0.1:PORT" when
// ready, exits 0 on SIGTERM.
'use strict';

// Debian's node-ws lives in /usr/share/nodejs, which only Debian's own node
// searches; a node from elsewhere (NodeSource, nvm) finds it by path.
function loadWs() {
  for (const name of ['ws', '/usr/share/nodejs/ws']) {
    try {
      return require(name);
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  console.error('ws-echo: the ws package is not installed (apt-get install node-ws)');
  process.exit(1);
}

const { WebSocketServer } = loadWs();
const port = Number(process.argv[2] || 0);
const wss = new WebSocketServer({ host: '127.0.0.1', port, maxPayload: 16 << 20 });

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => {
  console.log(`leaklab: listening on 127.0.0.1:${wss.address().port}`);
});
process.on('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  wss.close(() => process.exit(0));
});
