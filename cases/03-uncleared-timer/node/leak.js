// 03-uncleared-timer, Node.js twin, leaking variant.
//
// Each connection gets a heartbeat: setInterval(() => ws.ping(), ...) in
// the 'connection' handler, the seeds' own example (ws's README had it
// without the clearInterval until ws #1696).
//
// What leaks: the interval of every connection that has ended keeps
// firing, forever, and keeps the closed WebSocket it pings alive.
//
// Why: nothing calls clearInterval when the connection closes. ping() on a
// closed socket throws nothing (ws drops it quietly), so nothing crashes
// and nobody notices while the timers pile up.
//
// The fix (fixed.js): clearInterval in the 'close' handler.
//
// Signals: live timers (process.getActiveResourcesInfo()) grow by one per
// closed connection; threads and fds stay flat, as a timer is a JS object
// on the one event loop, not a thread.
'use strict';

const twin = require('../../../lib/twin/node/twin.js');

const knobs = { 'heartbeat-ms': { value: 1000, help: 'milliseconds between pings' } };

function onConnection(ws) {
  // LEAK: the interval is never cleared: it pings the closed socket for ever.
  setInterval(() => ws.ping('hb'), knobs['heartbeat-ms'].value);
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
}

twin.main('03-uncleared-timer-leak-node',
  'Echo server with a heartbeat per connection that is never stopped.', onConnection, knobs);
