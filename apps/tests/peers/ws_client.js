'use strict';
/*
 * Node.js's ws (Debian's node-ws) as a client of a leaklab server.
 *
 *   node ws_client.js [--heartbeat] -- SERVER [ARGS...]
 *
 * Starts SERVER on port 0 and reads its ready line, then checks with ws:
 * text and binary messages of every length encoding up to 1 MiB
 * (125/126/65535/65536 boundaries), multi-byte UTF-8, fragmented messages
 * (a UTF-8 character split across fragments, a ping between fragments),
 * ping/pong, close codes and reasons (the server echoes the code), and
 * several clients at once. With --heartbeat it also waits for the server's
 * own pings (case 03's heartbeat), which ws answers by itself. Finally it
 * sends SIGTERM and requires exit status 0.
 *
 * Plain CommonJS with no other dependency, for the node of Debian 12 (18)
 * and newer. Exit 77 (skipped) when ws cannot be loaded.
 */
const { spawn } = require('child_process');

let WebSocket;
try {
	WebSocket = require('ws');
} catch (e) {
	console.log(`SKIP: cannot load ws (Debian package node-ws; NODE_PATH=${process.env.NODE_PATH}): ${e.message}`);
	process.exit(77);
}

const READY = /^leaklab: listening on ([0-9.]+):([0-9]+)$/;
const STEP_MS = 10000; /* a bound on every single wait: nothing should take near this */

let server = null;

function fail(message) {
	console.error(`FAIL: ${message}`);
	if (server && server.exitCode === null && server.signalCode === null) {
		try {
			process.kill(-server.pid, 'SIGKILL');
		} catch (e) {
			/* already gone */
		}
	}
	process.exit(1);
}

function ok(message) {
	console.log(`ok: ${message}`);
}

/* Rejects with what after STEP_MS, so a lost message fails instead of hanging. */
function within(what, promise) {
	let timer;
	const timeout = new Promise((resolve, reject) => {
		timer = setTimeout(() => reject(new Error(`${what}: no answer within ${STEP_MS} ms`)), STEP_MS);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function startServer(command) {
	return new Promise((resolve, reject) => {
		/* detached: its own process group, so the whole group can be killed. */
		server = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
		let pending = '';
		const onData = (chunk) => {
			pending += chunk.toString();
			let nl;
			while ((nl = pending.indexOf('\n')) >= 0) {
				const m = READY.exec(pending.slice(0, nl).trim());
				pending = pending.slice(nl + 1);
				if (m) {
					server.stdout.off('data', onData);
					server.stdout.resume(); /* keep draining, so the server never blocks on stdout */
					resolve(Number(m[2]));
					return;
				}
			}
		};
		server.stdout.on('data', onData);
		server.on('error', reject);
		server.on('exit', (code, signal) => reject(new Error(`server exited (${code ?? signal}) before its ready line`)));
	});
}

function stopServer() {
	return new Promise((resolve) => {
		if (server.exitCode !== null || server.signalCode !== null) {
			resolve([server.exitCode, server.signalCode]);
			return;
		}
		const killer = setTimeout(() => process.kill(-server.pid, 'SIGKILL'), STEP_MS);
		server.on('exit', (code, signal) => {
			clearTimeout(killer);
			resolve([code, signal]);
		});
		process.kill(server.pid, 'SIGTERM');
	});
}

/*
 * A connected client whose messages are queued, so a test can await them
 * one by one: next() resolves with {data: Buffer, isBinary}.
 */
function connect(url) {
	return within(`connect to ${url}`, new Promise((resolve, reject) => {
		const ws = new WebSocket(url, { maxPayload: 4 << 20, perMessageDeflate: false });
		const queue = [];
		const waiters = [];
		ws.on('message', (data, isBinary) => {
			const m = { data: Buffer.isBuffer(data) ? data : Buffer.concat(data), isBinary };
			if (waiters.length)
				waiters.shift()(m);
			else
				queue.push(m);
		});
		ws.next = (what) => within(what, new Promise((res) => {
			if (queue.length)
				res(queue.shift());
			else
				waiters.push(res);
		}));
		ws.once('open', () => resolve(ws));
		ws.once('error', reject);
	}));
}

function closed(ws) {
	return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

async function echo(ws, data, binary, what) {
	ws.send(data, { binary });
	const m = await ws.next(what);
	const want = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
	if (m.isBinary !== binary)
		fail(`${what}: came back as ${m.isBinary ? 'binary' : 'text'}`);
	if (!m.data.equals(want))
		fail(`${what}: came back as ${m.data.length} different bytes`);
}

async function sizes(url) {
	const ws = await connect(url);
	for (const n of [0, 1, 125, 126, 127, 65535, 65536, 1 << 20]) {
		await echo(ws, 'x'.repeat(n), false, `text of ${n} bytes`);
		const bin = Buffer.alloc(n);
		for (let i = 0; i < n; i++)
			bin[i] = i % 251;
		await echo(ws, bin, true, `binary of ${n} bytes`);
	}
	await echo(ws, 'κόσμε 🙂', false, 'multi-byte UTF-8');
	ok('text and binary of 0, 1, 125, 126, 127, 65535, 65536 and 1 MiB bytes, and UTF-8, echoed');
	const c = closed(ws);
	ws.close(1000);
	await within('close', c);
}

async function fragments(url) {
	const ws = await connect(url);
	ws.send('Hel', { fin: false });
	ws.send('lo, ', { fin: false });
	ws.send('fragments', { fin: true });
	let m = await ws.next('text in three fragments');
	if (m.isBinary || m.data.toString() !== 'Hello, fragments')
		fail(`fragments came back as ${JSON.stringify(m.data.toString())}`);

	/* κ is 0xce 0xba: its two bytes in two fragments are still valid UTF-8 (section 8.1 judges the whole message). */
	ws.send(Buffer.from([0x61, 0xce]), { binary: false, fin: false });
	ws.send(Buffer.from([0xba, 0x62]), { binary: false, fin: true });
	m = await ws.next('a character split across fragments');
	if (m.isBinary || m.data.toString() !== 'aκb')
		fail(`split character came back as ${m.data.toString('hex')}`);

	/* Control frames may come between fragments (section 5.4); the pong must not disturb the message. */
	const pong = new Promise((resolve) => ws.once('pong', resolve));
	ws.send(Buffer.from([0, 1]), { binary: true, fin: false });
	ws.ping('between');
	ws.send(Buffer.from([2, 3]), { binary: true, fin: true });
	const p = await within('pong between fragments', pong);
	if (p.toString() !== 'between')
		fail(`pong between fragments carried ${JSON.stringify(p.toString())}`);
	m = await ws.next('binary in two fragments around a ping');
	if (!m.isBinary || !m.data.equals(Buffer.from([0, 1, 2, 3])))
		fail(`binary fragments came back as ${m.data.toString('hex')}`);
	ok('fragmented text, a character split across fragments, fragments around a ping');
	const c = closed(ws);
	ws.close(1000);
	await within('close', c);
}

async function pings(url) {
	const ws = await connect(url);
	for (const payload of ['', 'ping', 'x'.repeat(125)]) {
		const pong = new Promise((resolve) => ws.once('pong', resolve));
		ws.ping(payload);
		const got = await within(`pong for ${payload.length} bytes`, pong);
		if (got.toString() !== payload)
			fail(`pong carried ${got.length} bytes, ping had ${payload.length}`);
	}
	ok('ping with 0, 4 and 125 bytes answered by a matching pong');
	const c = closed(ws);
	ws.close(1000);
	await within('close', c);
}

async function closeCodes(url) {
	for (const [code, reason] of [[1000, ''], [1001, 'going'], [3000, 'registered'], [4000, 'custom reason']]) {
		const ws = await connect(url);
		const c = closed(ws);
		ws.close(code, reason);
		const got = await within(`close ${code}`, c);
		if (got.code !== code)
			fail(`closed with ${code}, the server answered ${got.code}`);
	}
	ok('close with 1000, 1001, 3000, 4000 and a reason: the server echoed each code');
}

async function parallel(url, n) {
	const clients = await Promise.all(Array.from({ length: n }, () => connect(url)));
	await Promise.all(clients.map(async (ws, i) => {
		for (let j = 0; j < 10; j++)
			await echo(ws, `client ${i} message ${j}`, false, `client ${i} message ${j}`);
	}));
	await Promise.all(clients.map((ws) => {
		const c = closed(ws);
		ws.close(1000);
		return within('close', c);
	}));
	ok(`${n} clients at once, 10 echoes each`);
}

/* Case 03's heartbeat: the server pings on its own; ws answers each with a pong. */
async function heartbeat(url) {
	const ws = await connect(url);
	let seen = 0;
	await within('two heartbeat pings', new Promise((resolve) => {
		ws.on('ping', () => {
			if (++seen === 2)
				resolve();
		});
	}));
	/* Echoes still work after the pongs ws sent back. */
	await echo(ws, 'after the heartbeat', false, 'echo after the heartbeat');
	ok('two heartbeat pings from the server, answered by ws, echo still fine');
	const c = closed(ws);
	ws.close(1000);
	await within('close', c);
}

async function main() {
	const argv = process.argv.slice(2);
	const sep = argv.indexOf('--');
	if (sep < 0 || sep === argv.length - 1) {
		console.error('usage: node ws_client.js [--heartbeat] -- SERVER [ARGS...]');
		process.exit(2);
	}
	const wantHeartbeat = argv.slice(0, sep).includes('--heartbeat');
	const port = await startServer(argv.slice(sep + 1));
	const url = `ws://127.0.0.1:${port}/`;
	console.log(`peer: node ${process.version}, ws ${require('ws/package.json').version}; server on port ${port}`);
	await sizes(url);
	await fragments(url);
	await pings(url);
	await closeCodes(url);
	await parallel(url, 20);
	if (wantHeartbeat)
		await heartbeat(url);
	const [code, signal] = await stopServer();
	if (code !== 0)
		fail(`the server exited with ${code ?? signal} after SIGTERM, expected 0`);
	ok('the server stopped on SIGTERM with status 0');
}

main().catch((e) => fail(e.stack || String(e)));
