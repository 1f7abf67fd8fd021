// 04-unbounded-map, Node.js twin, fixed variant.
//
// The server keeps a session for each client in a registry, a Map: the
// client's WebSocket, when it came, and the last text it sent, so that
// other parts of a server (an admin page, a broadcast) can find them. The
// message "sessions" is answered "sessions: N: ID ..." from the registry.
//
// What leaked (leak.js): every connection added a session, holding its
// WebSocket, and none was ever deleted; the Map kept them all alive.
//
// The fix: the 'close' handler deletes the session, so the Map holds
// exactly the clients connected now. 'close' fires however a connection
// ends.
//
// Signals: the heap, timers, threads and fds return to the baseline.
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
  // FIX: the session leaves the registry with its connection.
  ws.on('close', () => sessions.delete(id));
  ws.on('message', (data, isBinary) => {
    const text = data.toString();
    session.history = (session.history + text).slice(-HISTORY);
    session.messages++;
    if (!isBinary && text === 'sessions') ws.send(list());
    else ws.send(data, { binary: isBinary });
  });
}

twin.main('04-unbounded-map-fixed-node',
  'Echo server with a session registry of the clients connected now.', onConnection);
