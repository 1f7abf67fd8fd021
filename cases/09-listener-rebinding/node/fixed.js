// 09-listener-rebinding, Node.js twin, fixed variant.
//
// A gateway: every message a client sends is a request to the server's
// upstream (upstream.js), and the upstream's reply goes back to the client
// (this upstream answers with the request itself, so it is an echo). All
// replies come back on the upstream's one 'message' event, each tagged
// with its request's id and the connection that asked.
//
// What leaked (leak.js): a listener per message, each closure holding its
// connection and its request, never removed: the emitter's array grew by
// one per message for the life of the process (MaxListenersExceededWarning
// past ten).
//
// The fix: one listener per connection, registered once when it opens,
// matching replies by connection, and removed on 'close' (which fires
// however the connection ends). The upstream then holds a listener per
// connection open now, and nothing of a connection that has gone. (A
// server with more than ten clients at once raises the emitter's limit to
// its own with setMaxListeners(): then the warning means what it says.)
//
// Signals: the listener count, the heap, timers, threads and fds return to
// the baseline.
'use strict';

const twin = require('../../../lib/twin/node/twin.js');
const upstream = require('./upstream.js');

let lastConn = 0;

function onConnection(ws) {
  const conn = ++lastConn;
  // FIX: one listener for the connection's replies, registered once...
  const onReply = (reply) => {
    if (reply.conn !== conn || ws.readyState !== ws.OPEN) return;
    ws.send(reply.data, { binary: reply.isBinary });
  };
  upstream.on('message', onReply);
  // FIX: ...and removed with the connection, however it ends.
  ws.on('close', () => upstream.off('message', onReply));
  ws.on('message', (data, isBinary) => {
    upstream.request(upstream.nextId(), conn, data, isBinary);
  });
}

twin.main('09-listener-rebinding-fixed-node',
  'Echo gateway with one reply listener per connection, removed when it closes.', onConnection);
