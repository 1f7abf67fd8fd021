// 03-uncleared-timer, Node.js twin, fixed variant.
//
// Each connection gets a heartbeat: setInterval(() => ws.ping(), ...) in
// the 'connection' handler, the seeds' own example (ws's README had it
// without the clearInterval until ws #1696).
//
// What leaked (leak.js): the interval of every ended connection kept
// firing, because nothing cleared it when the connection closed.
//
// The fix: the 'close' handler clears the interval. 'close' fires on every
// way a connection ends (a close handshake, a dropped peer, an error).
//
// Signals: live timers, threads and fds return to the baseline.
'use strict';

const twin = require('../../../lib/twin/node/twin.js');

const knobs = { 'heartbeat-ms': { value: 1000, help: 'milliseconds between pings' } };

function onConnection(ws) {
  const heartbeat = setInterval(() => ws.ping('hb'), knobs['heartbeat-ms'].value);
  // FIX: the heartbeat stops with its connection, however it ends.
  ws.on('close', () => clearInterval(heartbeat));
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
}

twin.main('03-uncleared-timer-fixed-node',
  'Echo server with a heartbeat per connection, stopped when it closes.', onConnection, knobs);
