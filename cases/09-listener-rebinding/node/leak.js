// 09-listener-rebinding, Node.js twin, leaking variant.
//
// A gateway: every message a client sends is a request to the server's
// upstream (upstream.js), and the upstream's reply goes back to the client
// (this upstream answers with the request itself, so it is an echo). All
// replies come back on the upstream's one 'message' event, each tagged
// with its request's id.
//
// What leaks: a listener and its closure for every message ever received.
// The closure holds its scope: the connection it answered and the request's
// text it keeps for the log, long after the client left. Past ten
// listeners Node prints, once, on stderr:
//   MaxListenersExceededWarning: Possible EventEmitter memory leak detected.
//   11 message listeners added to [EventEmitter].
//
// Why: each request registers upstream.on('message', ...) inside
// ws.on('message'), to wait for the reply with its id. Once the reply has
// been sent the listener can never match again, but nothing removes it; the
// emitter's listener array keeps every closure, and each closure its scope,
// reachable. No crash, correct answers, and an array that only grows (and
// every reply walks all of it).
//
// The fix (fixed.js): one listener per connection, registered once when it
// opens, matching replies by connection, and removed on 'close'.
//
// Signals: the upstream's listener count (listenerCount('message')) grows
// by one per message and the heap after gc() with it; timers, threads and
// fds stay flat.
'use strict';

const twin = require('../../../lib/twin/node/twin.js');
const upstream = require('./upstream.js');

let lastConn = 0;

function onConnection(ws) {
  const conn = ++lastConn;
  ws.on('message', (data, isBinary) => {
    const id = upstream.nextId();
    const request = data.toString(); // for the log of a reply that was lost
    // LEAK: a listener per request, never removed: after its one reply it
    // stays on the upstream, holding ws and request.
    upstream.on('message', (reply) => {
      if (reply.id !== id) return;
      if (ws.readyState !== ws.OPEN) {
        process.stderr.write(`reply to "${request.slice(0, 60)}" lost\n`);
        return;
      }
      ws.send(reply.data, { binary: reply.isBinary });
    });
    upstream.request(id, conn, data, isBinary);
  });
}

twin.main('09-listener-rebinding-leak-node',
  'Echo gateway that adds a reply listener per message and never removes it.', onConnection);
