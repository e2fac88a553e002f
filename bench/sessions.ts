// Idle authenticated sessions on one Prosody: how many this machine holds, the server's memory per
// session and logins per second while they open. Each session is a bare direct-TLS stream that logs
// in with SCRAM-SHA-256 (as the apps do; the salted password is computed once per account, so the
// client side stays light), binds a resource and then idles: the server is what is measured.
// Sessions share a few accounts (each its own resource) and send no presence: nothing is broadcast.
//
//   node bench/sessions.ts [--sessions N]     (default 10000; SESSIONS_COUNT)
// bench/run.ts appends the rows to its table; bench/cluster.ts measures ejabberd with the same client.
import { execFile } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { cpus, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { startProsody } from '@hush/test-utils';
import { printRows } from './stats.ts';

const run = promisify(execFile);
export const PASSWORD = 'sessions-bench-password';

/** The process whose command line contains `needle` (a config file, a node name), or undefined. */
export async function pidOf(needle: string): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle) && !cmdline.includes('ejabberd_ctl')) return Number(entry);
  }
  return undefined;
}

/** Resident memory of a process, in bytes (VmRSS). */
export async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kib) * 1024;
}

/**
 * Raises the open-file limit of `pid` (this process by default) as far as the system lets this
 * user; returns the soft limit it has afterwards.
 */
export async function raiseFileLimit(pid = process.pid, want = 65_536): Promise<number> {
  await run('prlimit', [`--pid=${pid}`, `--nofile=${want}:${want}`]).catch(() => undefined);
  const { stdout } = await run('prlimit', [
    `--pid=${pid}`,
    '--nofile',
    '--output=SOFT',
    '--noheadings',
  ]);
  return Number(stdout.trim());
}

/** One logged-in, bound stream: what arrives on it is counted by `<message` tags. */
export interface RawSession {
  readonly jid: string;
  readonly socket: TLSSocket;
  /** Messages received since login. */
  received: number;
}

function readUntil(socket: TLSSocket, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${pattern} within ${timeoutMs} ms: ${text.slice(0, 300)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) {
        cleanup();
        resolve(text);
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`closed while waiting for ${pattern}: ${text.slice(0, 300)}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onEnd);
    };
    socket.on('data', onData);
    socket.once('close', onEnd);
  });
}

const salted = new Map<string, Buffer>();
const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
const b64 = (text: string) => Buffer.from(text).toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString();

/** RFC 5802/7677 SCRAM-SHA-256, without channel binding, as a minimal client. */
async function scramLogin(socket: TLSSocket, user: string): Promise<void> {
  const first = `n=${user},r=${randomBytes(18).toString('base64')}`;
  socket.write(
    `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>${b64(`n,,${first}`)}</auth>`,
  );
  const challenge = await readUntil(socket, /<\/challenge>|<\/failure>/);
  const serverFirst = unb64(/<challenge[^>]*>([^<]*)</.exec(challenge)?.[1] ?? '');
  const fields = Object.fromEntries(serverFirst.split(',').map((f) => [f[0], f.slice(2)]));
  if (!fields.r || !fields.s || !fields.i) throw new Error(`login refused: ${challenge}`);
  const key = `${user} ${fields.s} ${fields.i}`;
  let saltedPassword = salted.get(key);
  if (!saltedPassword) {
    saltedPassword = pbkdf2Sync(
      PASSWORD,
      Buffer.from(fields.s, 'base64'),
      Number(fields.i),
      32,
      'sha256',
    );
    salted.set(key, saltedPassword);
  }
  const clientKey = hmac(saltedPassword, 'Client Key');
  const storedKey = createHash('sha256').update(clientKey).digest();
  const withoutProof = `c=biws,r=${fields.r}`;
  const signature = hmac(storedKey, `${first},${serverFirst},${withoutProof}`);
  const proof = Buffer.from(clientKey.map((byte, i) => byte ^ (signature[i] ?? 0)));
  socket.write(
    `<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64(`${withoutProof},p=${proof.toString('base64')}`)}</response>`,
  );
  const answer = await readUntil(socket, /<success|<\/failure>/);
  if (!answer.includes('<success')) throw new Error(`login refused: ${answer}`);
}

const header = (domain: string) =>
  `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;

/** Logs `user` in on a direct-TLS stream to `port` and binds `resource`. */
export async function rawSession(
  port: number,
  ca: string,
  user: string,
  resource: string,
  domain = 'localhost',
): Promise<RawSession> {
  const socket = tlsConnect({ host: '127.0.0.1', port, servername: domain, ca });
  socket.on('error', () => socket.destroy());
  try {
    await new Promise((resolve, reject) =>
      socket.once('secureConnect', resolve).once('error', reject),
    );
    socket.write(header(domain));
    await readUntil(socket, /<\/stream:features>/);
    await scramLogin(socket, user);
    socket.write(header(domain));
    await readUntil(socket, /<\/stream:features>/);
    socket.write(
      `<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`,
    );
    const bound = await readUntil(socket, /<\/iq>/);
    const jid = /<jid>([^<]+)<\/jid>/.exec(bound)?.[1];
    if (!jid) throw new Error(`bind failed: ${bound}`);
    const session: RawSession = { jid, socket, received: 0 };
    let tail = '';
    socket.on('data', (chunk: Buffer) => {
      // A tag can be split between two reads: the last few characters are kept for the next.
      const text = tail + chunk.toString();
      session.received += text.split('</message>').length - 1;
      const end = text.lastIndexOf('</message>');
      tail = (end >= 0 ? text.slice(end + '</message>'.length) : text).slice(-9);
    });
    return session;
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

/**
 * Opens `count` sessions spread over `users`, `parallel` logins at a time; resolves with them and
 * the seconds it took.
 */
export async function openMany(
  count: number,
  users: readonly string[],
  ports: readonly number[],
  ca: string,
  parallel = 40,
): Promise<{ sessions: RawSession[]; seconds: number }> {
  const sessions: RawSession[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < count; i = next++) {
        const user = users[i % users.length] as string;
        const port = ports[i % ports.length] as number;
        sessions.push(await rawSession(port, ca, user, `r${i}`));
      }
    }),
  );
  return { sessions, seconds: (performance.now() - started) / 1000 };
}

/**
 * Each of the first `pairs` sessions sends `each` chat messages to the session `pairs` places on.
 * Resolves once all have arrived, or nothing more arrived for 20 s: messages per second over what
 * arrived, and how many of those sent did.
 */
export async function exchange(
  sessions: readonly RawSession[],
  pairs: number,
  each: number,
): Promise<{ rate: number; arrived: number; sent: number }> {
  const receivers = sessions.slice(pairs, pairs * 2);
  const before = receivers.map((r) => r.received);
  const arrived = () => receivers.reduce((sum, r, i) => sum + r.received - (before[i] ?? 0), 0);
  const started = performance.now();
  // One message per pair at a time, round after round, as people write.
  for (let n = 0; n < each; n++) {
    for (let i = 0; i < pairs; i++) {
      (sessions[i] as RawSession).socket.write(
        `<message type='chat' to='${(receivers[i] as RawSession).jid}' id='m${i}-${n}'><body>bench ${n}</body></message>`,
      );
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const sent = pairs * each;
  let last = { count: -1, at: performance.now() };
  let finished = started;
  while (arrived() < sent && performance.now() - last.at < 20_000) {
    const count = arrived();
    if (count !== last.count) last = { count, at: performance.now() };
    finished = last.at;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (arrived() >= sent) finished = performance.now();
  return { rate: arrived() / ((finished - started) / 1000), arrived: arrived(), sent };
}

/** "N/s", with how many arrived when some did not. */
export function rateText(result: { rate: number; arrived: number; sent: number }): string {
  const rate = `${result.rate.toFixed(0)}/s`;
  return result.arrived === result.sent
    ? rate
    : `${rate} (${result.arrived} of ${result.sent} arrived)`;
}

export function closeAll(sessions: readonly RawSession[]): void {
  for (const session of sessions) session.socket.destroy();
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

const progress = (line: string) => console.error(`[sessions] ${line}`);

export async function measureSessions(count = 10_000): Promise<[string, string][]> {
  const rows: [string, string][] = [];
  const limit = await raiseFileLimit();
  const server = await startProsody({
    settings: {
      CONNECTIONS_PER_ADDRESS: String(count + 100),
      UNAUTHENTICATED_CONNECTIONS: String(count + 100),
    },
  });
  try {
    const pid = await pidOf(server.configFile);
    if (pid === undefined) throw new Error('no Prosody process found');
    const serverLimit = await raiseFileLimit(pid);
    const users = Array.from({ length: 20 }, (_, i) => `idle${i}`);
    for (const user of users) await server.createAccount(user, PASSWORD);
    const want = Math.min(count, limit - 200, serverLimit - 200);
    progress(`Prosody ${pid} up, ${users.length} accounts; opening ${want} sessions`);
    // A few sessions first, so what the server loads once (modules, TLS contexts) is not counted.
    const warm = await openMany(20, users, [server.ports.c2sTls], server.caCert);
    const base = await rss(pid);
    const opened = await openMany(want, users, [server.ports.c2sTls], server.caCert);
    progress(`${opened.sessions.length} open in ${opened.seconds.toFixed(0)} s`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await rss(pid);
    rows.push([
      `idle authenticated sessions on one Prosody (direct TLS, bound; open files ${Math.min(limit, serverLimit)})`,
      `${opened.sessions.length + warm.sessions.length}`,
    ]);
    rows.push([
      'Prosody memory per idle session (RSS growth / sessions)',
      kib((after - base) / opened.sessions.length),
    ]);
    rows.push([
      `logins per second while opening them (${40} at a time)`,
      `${(opened.sessions.length / opened.seconds).toFixed(0)}/s`,
    ]);
    const pairs = Math.min(200, Math.floor(opened.sessions.length / 2));
    rows.push([
      `Prosody: chat messages per second among them (${pairs} pairs x 20, full JIDs, archived)`,
      rateText(await exchange(opened.sessions, pairs, 20)),
    ]);
    closeAll([...warm.sessions, ...opened.sessions]);
  } finally {
    await server.stop();
  }
  return rows;
}

export async function printSessionsRows(): Promise<void> {
  printRows(await measureSessions());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { sessions: { type: 'string' } } });
  const count = Number(values.sessions ?? process.env.SESSIONS_COUNT ?? 10_000);
  if (!Number.isInteger(count) || count < 1) {
    console.error(`sessions: --sessions takes a whole number, not '${values.sessions}'`);
    process.exit(2);
  }
  console.log(
    `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  );
  console.log('| measurement | result |\n| --- | --- |');
  printRows(await measureSessions(count));
}
