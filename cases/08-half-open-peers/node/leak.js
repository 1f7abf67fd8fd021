// 08-half-open-peers, Node.js twin, leaking variant.
//
// An echo server with a keepalive: every --ping-ms a setInterval pings the
// client with ws.ping(), the heartbeat of ws's README ("How to detect and
// close broken connections?") without the half that makes it one.
//
// What leaks: a peer that vanished without a FIN (a laptop lid closed, a
// NAT entry dropped) never answers again, and its connection stays: its
// socket, its WebSocket and its interval, for as long as the process runs.
//
// Why: nobody looks at whether a pong ever came back. The pings still
// "succeed" (the kernel takes the bytes and retries for many minutes), no
// FIN arrives, so 'close' never fires and the interval that 'close' would
// clear pings the silent peer forever. --pong-wait-ms is parsed and never
// applied, as C's is.
//
// The fix (fixed.js): the README's heartbeat whole: a pong marks the peer
// alive, and the interval terminate()s a peer that has not answered for
// --pong-wait-ms; 'close' then clears the interval.
//
// Signals: live sockets (TCPSocketWrap in process.getActiveResourcesInfo())
// and fds grow by one per silent peer, and stay; threads stay flat, as a
// connection is a socket on the one event loop, not a thread.
'use strict';

const twin = require('../../../lib/twin/node/twin.js');

const knobs = {
  'ping-ms': { value: 1000, help: 'milliseconds between keepalive pings' },
  'pong-wait-ms': { value: 3000, help: 'unused here: nothing ever gives up on a silent peer' },
};

function onConnection(ws) {
  // LEAK: the pings prove nothing: no pong is ever looked for, so a silent
  // peer is pinged, and kept, forever.
  const heartbeat = setInterval(() => ws.ping(), knobs['ping-ms'].value);
  // The heartbeat stops with its connection: 'close' fires however it ends.
  ws.on('close', () => clearInterval(heartbeat));
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
}

twin.main('08-half-open-peers-leak-node',
  'Echo server with keepalive pings that never looks for a pong.', onConnection, knobs);
