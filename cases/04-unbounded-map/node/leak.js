// 04-unbounded-map, Node.js twin, leaking variant.
//
// The server keeps a session for each client in a registry, a Map: the
// client's WebSocket, when it came, and the last text it sent, so that
// other parts of a server (an admin page, a broadcast) can find them. The
// message "sessions" is answered "sessions: N: ID ..." from the registry.
//
// What leaks: every connection adds a session, and none is ever deleted.
// Each one holds its closed WebSocket, with its socket object, parser and
// buffers: several KiB per client that ever connected.
//
// Why: nothing deletes the session when the connection closes (ws #967:
// a clients set that never shrinks). The garbage collector cannot help:
// the Map, a module-level constant, still points to every session.
//
// The fix (fixed.js): the 'close' handler deletes the session.
//
// Signals: the heap after gc() grows with every client; timers, threads
// and fds stay flat.
'use strict';

const twin = require('../../../lib/twin/node/twin.js');

const HISTORY = 1024;
const sessions = new Map(); // every session, keyed by connection id
let lastId = 0;

// "sessions: N: ID ID ...", from the registry itself.
function list() {
  return `sessions: ${sessions.size}: ${[...sessions.keys()].join(' ')}`;
}

function onConnection(ws) {
  const id = String(++lastId);
  const session = { id, ws, connectedAt: Date.now(), messages: 0, history: '' };
  sessions.set(id, session);
  // LEAK: nothing deletes sessions.get(id): the session outlives its connection.
  ws.on('message', (data, isBinary) => {
    const text = data.toString();
    session.history = (session.history + text).slice(-HISTORY);
    session.messages++;
    if (!isBinary && text === 'sessions') ws.send(list());
    else ws.send(data, { binary: isBinary });
  });
}

twin.main('04-unbounded-map-leak-node',
  'Echo server with a session registry that never forgets a client.', onConnection);
