// warning.js - checks what 09's Node.js twins print on stderr, the
// warning the walkthrough quotes: Node's MaxListenersExceededWarning.
//
//   node warning.js leak|fixed PROGRAM
//
// Starts PROGRAM on port 0, sends 12 messages on one connection and reads
// their echoes, closes, stops it with SIGTERM (exit status 0 required),
// and then requires its stderr to hold the warning for the leak (the
// eleventh listener on the upstream's 'message' event) and not for the
// fix (one listener per connection). Exit 0 pass, 1 fail, 77 skipped when
// ws cannot be loaded. Every wait is bounded.
'use strict';

const { spawn } = require('child_process');

let WebSocket;
try {
  WebSocket = require('ws');
} catch (e) {
  console.log(`SKIP: cannot load ws (Debian package node-ws): ${e.message}`);
  process.exit(77);
}

const [variant, program] = process.argv.slice(2);
const WARNING = /MaxListenersExceededWarning: Possible EventEmitter memory leak detected\. 11 message listeners added/;
const MESSAGES = 12;

function fail(why) {
  console.error(`FAIL: ${why}`);
  if (child.exitCode === null) child.kill('SIGKILL');
  process.exit(1);
}

const child = spawn(program, ['--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
let stdout = '';
let stderr = '';
const timer = setTimeout(() => fail(`no result within 20 s; stderr: ${stderr}`), 20000);
child.stderr.on('data', (d) => { stderr += d; });
child.stdout.on('data', (d) => {
  stdout += d;
  const m = /^leaklab: listening on ([0-9.]+):([0-9]+)$/m.exec(stdout);
  if (!m || child.ws) return;
  const ws = new WebSocket(`ws://${m[1]}:${m[2]}/`);
  child.ws = ws;
  let echoed = 0;
  ws.on('open', () => { for (let i = 0; i < MESSAGES; i++) ws.send(`request ${i}`); });
  ws.on('message', () => { if (++echoed === MESSAGES) ws.close(1000); });
  ws.on('error', (e) => fail(`client: ${e.message}`));
  ws.on('close', () => {
    if (echoed !== MESSAGES) fail(`${echoed} echoes of ${MESSAGES}`);
    child.kill('SIGTERM');
  });
});
child.on('exit', (code, signal) => {
  clearTimeout(timer);
  if (code !== 0) fail(`exit status ${code} (signal ${signal}) after SIGTERM, expected 0`);
  const warned = WARNING.test(stderr);
  if (variant === 'leak' && !warned) fail(`no MaxListenersExceededWarning on stderr: "${stderr}"`);
  if (variant !== 'leak' && warned) fail(`MaxListenersExceededWarning from the fix: "${stderr}"`);
  console.log(`ok: ${variant}: ${MESSAGES} messages, ${warned ? 'warned' : 'no warning'} on stderr`);
  if (warned) console.log(stderr.split('\n')[0].replace(/^\(node:\d+\) /, ''));
});
