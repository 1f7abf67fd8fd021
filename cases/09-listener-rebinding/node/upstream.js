// upstream.js - the part of 09's Node.js twin that leak.js and fixed.js
// share, as upstream.h is the C programs': the server's upstream, a backend
// connection whose one 'message' event carries every reply, each tagged
// with the id of its request and the connection that asked.
//
// This upstream answers each request with its own payload on the next turn
// of the event loop (setImmediate), so the server as a whole is an echo
// server; the case is about how a handler gets the reply meant for it off
// an emitter that carries everyone's.
//
// EventEmitter's default limit (10 listeners per event) is kept: past it
// Node prints MaxListenersExceededWarning once, on stderr.
'use strict';

const { EventEmitter } = require('events');
const twin = require('../../../lib/twin/node/twin.js');

const upstream = new EventEmitter();
let lastId = 0;

// A new request id, unique for the life of the process.
upstream.nextId = () => ++lastId;

// Asks the upstream; the reply { id, conn, data, isBinary } comes on 'message'.
upstream.request = (id, conn, data, isBinary) => {
  setImmediate(() => upstream.emit('message', { id, conn, data, isBinary }));
};

// The listeners on 'message', EventEmitter's own count, served at /metrics.
twin.gauge('listeners', "Listeners on the upstream's 'message' event (listenerCount()).",
  () => upstream.listenerCount('message'));

module.exports = upstream;
