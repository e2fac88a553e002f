// An independent OMEMO peer for integration tests: python/omemo_peer.py (slixmpp + python-omemo with
// the oldmemo backend, OMEMO 0.3, from Debian's packages) or python/twomemo_peer.py (the twomemo
// backend alone, OMEMO 2 with XEP-0420 envelopes), run as a child process and driven by JSON lines.
// Hush shares no code with them, so a message that crosses between the two checks Hush against
// another implementation of the protocol. The peers' module docstrings document the line protocol.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ProsodyServer } from './prosody.ts';

/** Debian's interpreter: a python3 earlier on PATH may not see Debian's python3-omemo. */
const PYTHON = '/usr/bin/python3';
const SCRIPTS = {
  oldmemo: fileURLToPath(new URL('../python/omemo_peer.py', import.meta.url)),
  twomemo: fileURLToPath(new URL('../python/twomemo_peer.py', import.meta.url)),
} as const;
const STDERR_TAIL = 4000;

export interface OmemoPeerOptions {
  jid: string;
  password: string;
  /** Host and port of the server's c2s (STARTTLS) listener. */
  host: string;
  port: number;
  /** The only CA the peer trusts, for XMPP and for HTTPS uploads and downloads. */
  caFile: string;
  /** OMEMO state and received files; reuse it to restart the same device. */
  dir: string;
  /** Peer log; python-omemo and slixmpp at info level. */
  logFile?: string;
  readyTimeoutMs?: number;
  /** OMEMO 0.3 (python-oldmemo, the default) or OMEMO 2 alone (python-twomemo). */
  protocol?: 'oldmemo' | 'twomemo';
}

export interface PeerReady {
  event: 'ready';
  deviceId: number;
  /** The Curve25519 identity key in hex (64 digits), as Conversations and Dino show fingerprints. */
  fingerprint: string;
}
export interface PeerSent {
  event: 'sent';
  id: string;
  /** send-file only: the aesgcm:// link sent, and the SHA-256 of the plaintext file. */
  url?: string;
  sha256?: string;
  /** Devices python-omemo could not encrypt for (no bundle, failed key agreement). */
  skipped?: { jid: string; deviceId: number; error: string }[];
}
export interface PeerMessage {
  event: 'message';
  from: string;
  to: string;
  id: string | null;
  /** The sending OMEMO device; null for a plaintext message. */
  senderDevice: number | null;
  body: string;
  /** Whether the key element for this device carried prekey='true' (OMEMO 2: kex='true'). */
  prekey: boolean;
  encrypted: boolean;
  /** OMEMO 2: the account the envelope's <from/> names. */
  envelopeFrom?: string;
  carbon?: 'sent' | 'received';
}
export interface PeerFile {
  event: 'file';
  from: string;
  path: string;
  sha256: string;
  size: number;
}
/** An OMEMO message without payload: python-omemo's handshake completion or a heartbeat. */
export interface PeerKeyTransport {
  event: 'key-transport';
  from: string;
  id: string | null;
  senderDevice: number;
  prekey: boolean;
}
export interface PeerUndecryptable {
  event: 'undecryptable';
  from: string;
  id?: string | null;
  error: string;
}
export interface PeerError {
  event: 'error';
  id?: string;
  error: string;
}
export interface PeerStanzaError {
  event: 'stanza-error';
  from: string;
  id: string | null;
  condition: string | null;
}
export interface PeerDisconnected {
  event: 'disconnected';
}
export type OmemoPeerEvent =
  | PeerReady
  | PeerSent
  | PeerMessage
  | PeerFile
  | PeerKeyTransport
  | PeerUndecryptable
  | PeerError
  | PeerStanzaError
  | PeerDisconnected;

export interface OmemoPeer {
  readonly deviceId: number;
  readonly fingerprint: string;
  /** Every event so far, in order, including those next() has handed out. */
  readonly events: readonly OmemoPeerEvent[];
  /** Encrypts `body` for all of `to`'s devices and the peer's own other devices, and sends it. */
  send(to: string, body: string): Promise<PeerSent>;
  /**
   * twomemo only: encrypts `envelope` (any text) as the message's content, unchecked, for tests that
   * hand Hush a malformed XEP-0420 envelope.
   */
  sendEnvelope(to: string, envelope: string): Promise<PeerSent>;
  /** Sends the file at `path` the XEP-0454 way (AES-256-GCM, XEP-0363 upload, link over OMEMO). */
  sendFile(to: string, path: string): Promise<PeerSent & { url: string; sha256: string }>;
  /**
   * The oldest event not yet handed out that matches, waiting for one if needed. Events arrive in a
   * buffer, so one that came before the call is found too; each is handed out once.
   */
  next<T extends OmemoPeerEvent>(
    predicate: (event: OmemoPeerEvent) => event is T,
    timeoutMs?: number,
  ): Promise<T>;
  next(predicate: (event: OmemoPeerEvent) => boolean, timeoutMs?: number): Promise<OmemoPeerEvent>;
  /** Disconnects and waits for the process to end (killing it after 5 s). */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

interface Waiter {
  predicate: (event: OmemoPeerEvent) => boolean;
  resolve: (event: OmemoPeerEvent) => void;
  reject: (error: Error) => void;
}

export async function startOmemoPeer(options: OmemoPeerOptions): Promise<OmemoPeer> {
  await mkdir(options.dir, { recursive: true });
  const args = [
    // No PYTHONPATH, PYTHONHOME (-E) or user site-packages (-s) from another Python install; not -I,
    // which would also drop the script's folder, where its modules are, from the import path. -B: no
    // __pycache__ beside the sources in the repository.
    '-E',
    '-s',
    '-B',
    SCRIPTS[options.protocol ?? 'oldmemo'],
    '--jid',
    options.jid,
    '--password',
    options.password,
    '--host',
    options.host,
    '--port',
    String(options.port),
    '--ca-file',
    options.caFile,
    '--dir',
    options.dir,
    ...(options.logFile ? ['--log-file', options.logFile] : []),
  ];
  const child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);

  const events: OmemoPeerEvent[] = [];
  const unclaimed: OmemoPeerEvent[] = [];
  const waiters = new Set<Waiter>();
  let stderr = '';
  let exitError: Error | undefined;

  const describe = (what: string) =>
    `${what} (peer ${options.jid}); peer stderr:\n${stderr.slice(-STDERR_TAIL) || '(empty)'}`;

  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL * 2);
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    let event: OmemoPeerEvent;
    try {
      event = JSON.parse(line) as OmemoPeerEvent;
    } catch {
      stderr += `\n[driver] not a JSON line on stdout: ${line}`;
      return;
    }
    events.push(event);
    for (const waiter of waiters) {
      if (waiter.predicate(event)) {
        waiters.delete(waiter);
        waiter.resolve(event);
        return;
      }
    }
    unclaimed.push(event);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      exitError = new Error(describe(`OMEMO peer exited (code ${code}, signal ${signal})`));
      for (const waiter of waiters) waiter.reject(exitError);
      waiters.clear();
      resolve();
    });
  });
  child.once('error', (error) => {
    stderr += `\n[driver] ${error.message}`;
  });
  // A peer that died leaves its stdin closed; writes then fail with EPIPE, reported by next().
  child.stdin.on('error', () => {});

  function next(
    predicate: (event: OmemoPeerEvent) => boolean,
    timeoutMs = 10_000,
  ): Promise<OmemoPeerEvent> {
    const index = unclaimed.findIndex(predicate);
    if (index >= 0) return Promise.resolve(unclaimed.splice(index, 1)[0] as OmemoPeerEvent);
    if (exitError) return Promise.reject(exitError);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(describe(`no matching OMEMO peer event within ${timeoutMs} ms`)));
      }, timeoutMs);
      waiters.add(waiter);
    });
  }

  function command(cmd: Record<string, unknown>): void {
    child.stdin.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Runs a command and waits for its own 'sent' or 'error' event. */
  async function request(cmd: Record<string, unknown>, timeoutMs: number): Promise<PeerSent> {
    const id = randomUUID();
    const reply = next(
      (event) => (event.event === 'sent' || event.event === 'error') && event.id === id,
      timeoutMs,
    );
    command({ ...cmd, id });
    const event = await reply;
    if (event.event === 'error') throw new Error(`OMEMO peer ${String(cmd.cmd)}: ${event.error}`);
    return event as PeerSent;
  }

  async function stop(): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (!child.stdin.writableEnded) {
      command({ cmd: 'quit' });
      child.stdin.end();
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  let ready: OmemoPeerEvent;
  try {
    ready = await next(
      (event) =>
        event.event === 'ready' || event.event === 'error' || event.event === 'disconnected',
      readyTimeoutMs,
    );
  } catch {
    child.kill('SIGKILL');
    // An exit explains itself; a timeout gets a message that says what was waited for.
    throw exitError ?? new Error(describe(`OMEMO peer not ready within ${readyTimeoutMs} ms`));
  }
  if (ready.event !== 'ready') {
    await stop();
    const reason = ready.event === 'error' ? ready.error : ready.event;
    throw new Error(describe(`OMEMO peer did not start: ${reason}`));
  }

  return {
    deviceId: ready.deviceId,
    fingerprint: ready.fingerprint,
    events,
    send: (to, body) => request({ cmd: 'send', to, body }, 15_000),
    sendEnvelope: (to, envelope) => request({ cmd: 'send-envelope', to, envelope }, 15_000),
    sendFile: (to, path) =>
      request({ cmd: 'send-file', to, path }, 30_000) as Promise<
        PeerSent & { url: string; sha256: string }
      >,
    next: next as OmemoPeer['next'],
    stop,
  };
}

export interface PeerOnServerOptions {
  jid: string;
  password: string;
  /** The peer keeps its state in `work/<name>` and logs to `work/<name>.log`. */
  work: string;
  name: string;
  protocol?: OmemoPeerOptions['protocol'];
}

/** A peer on a throwaway Prosody's STARTTLS listener, trusting only that server's CA. */
export function startOmemoPeerOn(
  server: Pick<ProsodyServer, 'ports' | 'caFile'>,
  { jid, password, work, name, protocol }: PeerOnServerOptions,
): Promise<OmemoPeer> {
  return startOmemoPeer({
    jid,
    password,
    host: '127.0.0.1',
    port: server.ports.c2s,
    caFile: server.caFile,
    dir: join(work, name),
    logFile: join(work, `${name}.log`),
    ...(protocol ? { protocol } : {}),
  });
}

/** A message event with exactly this body, for next() and until(). */
export const messageWithBody =
  (body: string) =>
  (event: OmemoPeerEvent): event is PeerMessage =>
    event.event === 'message' && event.body === body;

export interface TestPeers {
  /** A peer logged in as `jid` (`name@localhost` unless given), keeping its state in `scratch/<name>`. */
  start(name: string, jid?: string): Promise<OmemoPeer>;
  /** Stops one peer (to restart it on its state, say). */
  stop(peer: OmemoPeer): Promise<void>;
  /** Stops every peer still running, all at once. */
  stopAll(): Promise<void>;
}

/** The peers a test file starts on its suite's server, all with one password and protocol. */
export function testPeers(
  suite: { readonly server: Pick<ProsodyServer, 'ports' | 'caFile'>; readonly scratch: string },
  password: string,
  protocol?: OmemoPeerOptions['protocol'],
): TestPeers {
  const started: OmemoPeer[] = [];
  return {
    async start(name, jid = `${name}@localhost`) {
      const { server, scratch: work } = suite;
      const peer = await startOmemoPeerOn(server, {
        jid,
        password,
        work,
        name,
        ...(protocol ? { protocol } : {}),
      });
      started.push(peer);
      return peer;
    },
    async stop(peer) {
      await peer.stop();
      started.splice(started.indexOf(peer), 1);
    },
    async stopAll() {
      await Promise.all(started.map((peer) => peer.stop()));
    },
  };
}
