// The other side of the Maestro flows: a throwaway Prosody (the same one the tests start, with its
// own CA, on free loopback ports), an invite for the app, and "bob", a second client (the hush CLI)
// the flows drive over a small HTTP interface on loopback:
//   POST /send?text=...         bob sends alice a text
//   POST /send-voice            bob sends alice a voice message (VOICE_FILE, an M4A)
//   GET  /received?text=...     200 once bob has received that text from alice, else 404
//   GET  /received?voice=1      200 once bob has received a voice message from alice, else 404
// It writes what the flows need (invite, websocket address, CA, control address) as JSON to the
// file given as its argument, then runs until it is stopped.
//
//   node --disable-warning=ExperimentalWarning packages/app/maestro/serve.ts maestro-env.json
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startProsody } from '@hush/test-utils';

const out = process.argv[2];
if (!out) throw new Error('usage: serve.ts OUTPUT.json');
const voiceFile = process.env.VOICE_FILE;
const hush = fileURLToPath(new URL('../../cli/bin/hush.js', import.meta.url));

const server = await startProsody();
const home = await mkdtemp(join(tmpdir(), 'hush-maestro-'));
const env = {
  ...process.env,
  HUSH_HOME: home,
  HUSH_PASSWORD: 'bob-password-1',
  NODE_EXTRA_CA_CERTS: server.caFile,
};
const service = ['--service', server.websocketUrl];
const cli = (...args: string[]) =>
  promisify(execFile)(process.execPath, [hush, '--profile', 'bob', ...args], { env });

await cli('register', await server.createInvite(), 'bob', ...service);
// Pre-approved: alice's request from the app is accepted at once.
await cli('contacts', 'add', 'alice@localhost');

type Line = {
  type?: string;
  peer?: string;
  from?: string;
  direction?: string;
  body?: string;
  kind?: string;
  mimeType?: string;
};
const received: Line[] = [];
const listener = spawn(process.execPath, [hush, '--profile', 'bob', 'listen', '--json'], {
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
createInterface({ input: listener.stdout }).on('line', (line) => {
  try {
    received.push(JSON.parse(line) as Line);
  } catch {
    // not a message
  }
});

const alice = (jid = '') => jid.split('/')[0] === 'alice@localhost';
const textFromAlice = (line: Line, text: string) =>
  line.type === 'message' && line.direction === 'in' && alice(line.peer) && line.body === text;
const voiceFromAlice = (line: Line) =>
  line.type === 'file' && alice(line.from) && (line.mimeType ?? '').startsWith('audio/');
const control = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const answer = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  const run = (args: string[]) =>
    cli(...args).then(
      () => answer(200, { ok: true }),
      (error: Error) => answer(500, { error: error.message }),
    );
  if (request.method === 'POST' && url.pathname === '/send') {
    void run(['send', 'alice@localhost', url.searchParams.get('text') ?? '']);
  } else if (request.method === 'POST' && url.pathname === '/send-voice') {
    if (!voiceFile) answer(500, { error: 'VOICE_FILE is not set' });
    else void run(['send-voice', 'alice@localhost', voiceFile]);
  } else if (request.method === 'GET' && url.pathname === '/received') {
    const text = url.searchParams.get('text');
    const found = received.some((line) =>
      text !== null ? textFromAlice(line, text) : voiceFromAlice(line),
    );
    answer(found ? 200 : 404, { found });
  } else {
    answer(404, { error: 'unknown' });
  }
});
await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));

const flows = {
  INVITE: await server.createInvite(),
  SERVICE: server.websocketUrl,
  HTTPS_PORT: String(server.ports.https),
  CA_FILE: server.caFile,
  CONTROL: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
};
await writeFile(out, JSON.stringify(flows, null, 2) + '\n');
console.log(JSON.stringify(flows));

const stop = async () => {
  listener.kill();
  control.close();
  await server.stop();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
