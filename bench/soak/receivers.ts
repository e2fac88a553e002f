// The receiving account's devices, one per client type: core in this process, the CLI's
// `hush listen --json` as a child process (so it can be killed mid-catch-up and started again), and
// the web app in headless Chromium. Each records when every soak message first reached it, and reads
// back its stored history, as the device itself would show it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import type { BrowserContext, Page } from 'playwright-core';
import {
  createMemoryStorage,
  isHushError,
  openSession,
  startClient,
  type HushClient,
  type Storage,
  type XmppSession,
} from '@hush/core';
import { openSqliteStorage } from '@hush/storage-node';
import { repoRoot, until } from '@hush/test-utils';
import { openProfile as openBrowserProfile, type Stack } from '../../e2e/harness.ts';
import { parseBody, type HistoryEntry } from './analysis.ts';
import { recordSighting, type RawSighting } from './trace.ts';

export type ClientType = 'core' | 'cli' | 'web';

/** Where a device connects: one address, and the server's others to fail over to. */
export interface Endpoint {
  readonly service: string;
  readonly alternatives?: readonly string[];
}

/**
 * openSession, tried again (up to 5 times) when the server answers too late or drops the
 * connection: a loaded ejabberd node sometimes sends its stream header after the client gave up, or
 * resets a connection while it opens, and a client simply tries again.
 */
export async function login(options: Parameters<typeof openSession>[0]): Promise<XmppSession> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openSession(options);
    } catch (error) {
      if (
        attempt >= 5 ||
        !(isHushError(error, 'Timeout') || isHushError(error, 'ServerUnreachable'))
      )
        throw error;
    }
  }
}

export interface Receiver {
  readonly name: string;
  readonly type: ClientType;
  /** performance.now() when each soak message body first reached this device. */
  readonly arrivals: Map<string, number>;
  /** The Messenger's status changes (where the device is in this process). */
  readonly statuses?: readonly { readonly status: string; readonly at: number }[];
  /** What reached the device's stream, by origin-id (where the device is in this process). */
  readonly sightings?: Map<string, RawSighting>;
  /** performance.now() of every new or resumed stream (where the device is in this process). */
  readonly onlineAt?: readonly number[];
  /** The stored conversation with each of `peers`, oldest first, as the device reads it. */
  histories(peers: readonly string[]): Promise<HistoryEntry[][]>;
  close(): Promise<void>;
}

function noteArrival(arrivals: Map<string, number>, body: string): void {
  if (parseBody(body) && !arrivals.has(body)) arrivals.set(body, performance.now());
}

async function storedHistories(
  storage: Storage,
  account: string,
  peers: readonly string[],
): Promise<HistoryEntry[][]> {
  return Promise.all(
    peers.map(async (peer) =>
      (await storage.messages.history(account, peer, { limit: 1_000_000 })).map(
        ({ body, timestamp, state, failure }) => ({
          body,
          timestamp,
          state,
          ...(failure ? { failure } : {}),
        }),
      ),
    ),
  );
}

/**
 * The account on core's startClient in this process, with memory storage, straight to the server
 * (`at`; Prosody's websocket unless told otherwise).
 */
export async function startCoreReceiver(
  at: Endpoint,
  jid: string,
  password: string,
  report: (line: string) => void,
  options: { readonly name?: string; readonly redeliverAfterMs?: number } = {},
): Promise<Receiver> {
  const name = options.name ?? 'core';
  const arrivals = new Map<string, number>();
  const statuses: { status: string; at: number }[] = [];
  const onlineAt: number[] = [];
  const storage = createMemoryStorage();
  const session: XmppSession = await login({
    service: at.service,
    ...(at.alternatives ? { alternatives: at.alternatives } : {}),
    jid,
    password,
    resource: `soak-${name}`,
    reconnect: { initialDelayMs: 50, maxDelayMs: 1000 },
  });
  session.client.on('online', () => onlineAt.push(performance.now()));
  session.client.streamManagement.on('resumed', () => onlineAt.push(performance.now()));
  const client: HushClient = await startClient({
    session,
    storage,
    clientType: 'pc',
    ...(options.redeliverAfterMs !== undefined
      ? { redeliverAfterMs: options.redeliverAfterMs }
      : {}),
    onMessengerEvent: (event) => {
      if (event.type === 'message' && event.message.direction === 'in')
        noteArrival(arrivals, event.message.body);
      if (event.type === 'error') report(`${name}: ${event.error.code}: ${event.error.message}`);
      if (event.type === 'status') statuses.push({ status: event.status, at: performance.now() });
    },
  });
  const sightings = new Map<string, RawSighting>();
  session.onStanza((stanza) => recordSighting(sightings, stanza, client.omemo?.deviceId));
  return {
    name,
    type: 'core',
    arrivals,
    sightings,
    statuses,
    onlineAt,
    histories: (peers) => storedHistories(storage, jid, peers),
    async close() {
      await client.close();
      await session.close();
    },
  };
}

export interface CliExit {
  /** Seconds since the run started. */
  readonly at: number;
  readonly code: number | null;
  readonly signal: string | null;
  /** Whether the run killed it (false: it exited by itself). */
  readonly killed: boolean;
  readonly stderr: string;
}

/** `hush listen --json` on a profile of its own, started, killed and started again on demand. */
export class CliReceiver implements Receiver {
  readonly name = 'cli';
  readonly type = 'cli' as const;
  readonly arrivals = new Map<string, number>();
  readonly exits: CliExit[] = [];
  /** Every line the listener wrote to stderr, by run (1 = the first process). */
  readonly errors: string[] = [];
  private runs = 0;
  /** Message lines of the current process so far, and whether it said 'ready' (catch-up done). */
  lines = 0;
  ready = false;
  /** The bodies the current process printed, in order. */
  printed: string[] = [];
  /** The bodies each process printed (index 0 = the first process). */
  readonly printedByRun: string[][] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private killing = false;
  private readonly bin = join(repoRoot, 'packages/cli/bin/hush.js');
  private readonly env: NodeJS.ProcessEnv;
  private readonly home: string;
  private readonly jid: string;
  private readonly since: number;
  private readonly onLine: (receiver: CliReceiver) => void;

  constructor(
    home: string,
    jid: string,
    password: string,
    caFile: string,
    since: number,
    onLine: (receiver: CliReceiver) => void = () => undefined,
  ) {
    this.home = home;
    this.jid = jid;
    this.since = since;
    this.onLine = onLine;
    this.env = {
      ...process.env,
      HUSH_HOME: home,
      HUSH_PASSWORD: password,
      NODE_EXTRA_CA_CERTS: caFile,
    };
  }

  /** `hush login`: the profile gets the account and this device's OMEMO keys. */
  async login(service: string): Promise<void> {
    const child = spawn(
      process.execPath,
      [this.bin, '--profile', 'receiver', 'login', this.jid, '--service', service],
      { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`hush login exited with ${code}: ${output}`);
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts `hush listen --json`; resolves once it is spawned (not once it is ready). */
  start(): void {
    if (this.child) throw new Error('the CLI listener is already running');
    this.lines = 0;
    this.ready = false;
    this.printed = [];
    this.printedByRun.push(this.printed);
    this.killing = false;
    const child = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        this.bin,
        '--profile',
        'receiver',
        'listen',
        '--json',
      ],
      { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    let stderr = '';
    const run = ++this.runs;
    child.stderr?.on(
      'data',
      (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)),
    );
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) =>
      this.errors.push(`run ${run}: ${line}`),
    );
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let event: { type?: string; body?: string; direction?: string };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        return;
      }
      if (event.type === 'ready') this.ready = true;
      if (event.type === 'message' && event.direction === 'in' && typeof event.body === 'string') {
        this.lines++;
        this.printed.push(event.body);
        noteArrival(this.arrivals, event.body);
      }
      this.onLine(this);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exits.push({
          at: (performance.now() - this.since) / 1000,
          code,
          signal,
          killed: this.killing,
          stderr: stderr.trim(),
        });
        this.child = undefined;
        resolve();
      }),
    );
  }

  /** SIGKILL, as a crash or an out-of-memory kill would. */
  async kill(): Promise<void> {
    if (!this.child) return;
    this.killing = true;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Ctrl-C: listen closes its client and exits. */
  async stop(): Promise<void> {
    if (!this.child) return;
    this.killing = true;
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(timer);
  }

  /**
   * Soak messages stored in the profile so far, read beside the running listener (WAL lets a reader
   * in): a process killed between storing and printing a message never prints it.
   */
  stored(counts: (body: string) => boolean): number {
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(join(this.home, 'receiver', 'hush.db'), { readOnly: true });
      const rows = db
        .prepare("SELECT DISTINCT body FROM messages WHERE body LIKE 'soak %'")
        .all() as { body: string }[];
      return rows.filter(({ body }) => counts(body)).length;
    } catch {
      return 0;
    } finally {
      db?.close();
    }
  }

  /** Waits for the current process to finish its catch-up ('ready'). */
  async whenReady(timeoutMs = 120_000): Promise<void> {
    await until(() => this.ready || !this.child, 'the CLI listener to be ready', timeoutMs, 50);
    if (!this.ready) throw new Error('the CLI listener exited before it was ready');
  }

  async histories(peers: readonly string[]): Promise<HistoryEntry[][]> {
    await this.stop();
    const storage = await openSqliteStorage(join(this.home, 'receiver', 'hush.db'));
    try {
      return await storedHistories(storage, this.jid, peers);
    } finally {
      await storage.close();
    }
  }

  async close(): Promise<void> {
    await this.stop();
  }
}

// The web app's IndexedDB, read from outside the page (the page's policy allows no eval there).
const idbOpen = `new Promise((resolve, reject) => {
  const request = indexedDB.open('hush');
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
})`;
const idbRequest = `(request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
})`;

/** The web app in a Chromium profile of its own, logged in to the account through its form. */
export class WebReceiver implements Receiver {
  readonly type = 'web' as const;
  readonly arrivals = new Map<string, number>();
  private lastKey = 0;
  private polling: Promise<void> | undefined;
  private stopped = false;

  readonly name: string;
  private readonly context: BrowserContext;
  private readonly page: Page;
  private readonly jid: string;

  private constructor(name: string, context: BrowserContext, page: Page, jid: string) {
    this.name = name;
    this.context = context;
    this.page = page;
    this.jid = jid;
  }

  static async start(
    stack: Stack,
    name: string,
    jid: string,
    password: string,
    report: (line: string) => void,
  ): Promise<WebReceiver> {
    const context = await openBrowserProfile(stack);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => report(`${name}: page error: ${error.message}`));
    await page.goto(stack.url);
    await page.getByTestId('tab-login').click();
    await page.getByTestId('jid-input').fill(jid);
    await page.getByTestId('password-input').fill(password);
    await page.getByTestId('submit').click();
    await page.getByText(/Online$/).waitFor({ timeout: 60_000 });
    const receiver = new WebReceiver(name, context, page, jid);
    receiver.polling = receiver.poll();
    return receiver;
  }

  /**
   * IndexedDB has no change events: every 200 ms the records stored since the last look are read
   * (the store's key is the order of storing), so an arrival time is at most that late.
   */
  private async poll(): Promise<void> {
    while (!this.stopped) {
      const rows = (await this.page
        .evaluate(
          `(async () => {
            const db = await ${idbOpen};
            try {
              const store = db.transaction('messages', 'readonly').objectStore('messages');
              const rows = await (${idbRequest})(store.getAll(IDBKeyRange.lowerBound(${this.lastKey}, true)));
              return rows.map((m) => [m.seq, m.body]);
            } finally { db.close(); }
          })()`,
        )
        .catch(() => [])) as [number, string][];
      for (const [key, body] of rows) {
        this.lastKey = Math.max(this.lastKey, key);
        noteArrival(this.arrivals, body);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async histories(peers: readonly string[]): Promise<HistoryEntry[][]> {
    return (await this.page.evaluate(
      `(async () => {
        const db = await ${idbOpen};
        try {
          const out = [];
          for (const peer of ${JSON.stringify(peers)}) {
            const index = db.transaction('messages', 'readonly').objectStore('messages').index('byConversation');
            const range = IDBKeyRange.bound([${JSON.stringify(this.jid)}, peer], [${JSON.stringify(this.jid)}, peer, []]);
            const rows = await (${idbRequest})(index.getAll(range));
            out.push(rows.map((m) => ({ body: m.body, timestamp: m.timestamp, state: m.state, ...(m.failure ? { failure: m.failure } : {}) })));
          }
          return out;
        } finally { db.close(); }
      })()`,
    )) as HistoryEntry[][];
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.polling;
    await this.context.close().catch(() => undefined);
  }
}
