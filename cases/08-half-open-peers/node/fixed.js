// 08-half-open-peers, Node.js twin, fixed variant.
//
// An echo server with a keepalive: every --ping-ms a setInterval pings the
// client with ws.ping(), the heartbeat of ws's README ("How to detect and
// close broken connections?").
//
// What leaked (leak.js): nobody looked for the pongs, so a peer that
// vanished without a FIN kept its socket, its WebSocket and its interval
// forever: no FIN, so no 'close'.
//
// The fix: the README's heartbeat whole. A pong marks the peer alive
// (isAlive()); at each tick a peer that has sent no pong for
// --pong-wait-ms is terminate()d: its socket is destroyed at once, with no
// close handshake (a peer that is gone cannot take part in one, RFC 6455
// section 7.1.1), and 'close' fires, which clears the interval. The README
// asks for a pong within one interval; here a pong may take up to
// --pong-wait-ms while the pings come every --ping-ms (gorilla's pingPeriod
// inside its pongWait), so a busy live peer is not reaped.
//
// Signals: sockets, timers and fds return to the baseline once the silent
// peers' --pong-wait-ms has passed.
'use strict';

const twin = require('../../../lib/twin/node/twin.js');

const knobs = {
  'ping-ms': { value: 1000, help: 'milliseconds between keepalive pings' },
  'pong-wait-ms': { value: 3000, help: 'a peer that sends no pong for this long is terminated' },
};

function onConnection(ws) {
  // FIX: a pong proves the peer is there.
  let lastPong = Date.now();
  const isAlive = () => Date.now() - lastPong < knobs['pong-wait-ms'].value;
  ws.on('pong', () => { lastPong = Date.now(); });
  const heartbeat = setInterval(() => {
    // FIX: no pong for --pong-wait-ms: the peer is gone; reap it.
    if (!isAlive()) return ws.terminate();
    ws.ping();
  }, knobs['ping-ms'].value);
  // The heartbeat stops with its connection: 'close' fires however it ends.
  ws.on('close', () => clearInterval(heartbeat));
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
}

twin.main('08-half-open-peers-fixed-node',
  'Echo server with keepalive pings that terminates a peer that stops answering.', onConnection, knobs);
