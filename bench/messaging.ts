// XEP-0198 Stream Management — https://xmpp.org/extensions/xep-0198.html
// XEP-0313 Message Archive Management — https://xmpp.org/extensions/xep-0313.html
// Messaging: two accounts, each a Messenger with memory storage over wss, on a real Prosody on
// loopback. One-way delivery and throughput are measured in this one process, on one clock, from
// `sendText` to the receiver's Messenger emitting 'message' (a round trip, a message and its
// answer, is in bench/omemo.ts). Every measurement runs on
// two servers side by side: the template's per-connection read limit (C2S_RATE, C2S_BURST 4s)
// and a raised one, so the ratio is what the production limit costs.
// `node bench/messaging.ts` prints a whole table; bench/run.ts appends the rows to its own table.
import {
  createMemoryStorage,
  Messenger,
  openSession,
  type MessengerEvent,
  type Storage,
  type XmppSession,
} from '@hush/core';
import { startProsody, trustCertificateAuthority, type ProsodyServer } from '@hush/test-utils';
import { templateDefault } from './template.ts';
import { printHeader, printRows, quantile } from './stats.ts';

const COUNT = 1000;
const WARMUP = 50;
const PASSWORD = 'bench-password';
const PRODUCTION_RATE = templateDefault('C2S_RATE');
const RAISED_RATE = '10mb/s';

interface Device {
  readonly jid: string;
  readonly session: XmppSession;
  readonly storage: Storage;
  readonly messenger: Messenger;
  close(): Promise<void>;
}

/** Logs in and builds a Messenger; start() is left to the caller (it is what catch-up measures). */
async function connect(server: ProsodyServer, username: string): Promise<Device> {
  const jid = `${username}@localhost`;
  const session = await openSession({ service: server.websocketUrl, jid, password: PASSWORD });
  const storage = createMemoryStorage();
  const messenger = new Messenger({ session, storage });
  messenger.subscribe((event) => {
    if (event.type === 'error') console.error(`${jid}: ${event.error.message}`);
  });
  let closed: Promise<void> | undefined;
  return {
    jid,
    session,
    storage,
    messenger,
    close: () => (closed ??= messenger.close().then(() => session.close())),
  };
}

/** Calls `onIncoming` with the body of every message the device receives. */
function onIncoming(device: Device, onBody: (body: string) => void): () => void {
  return device.messenger.subscribe((event: MessengerEvent) => {
    if (event.type === 'message' && event.message.direction === 'in') onBody(event.message.body);
  });
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = performance.now() + 120_000;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** One-way delivery of `count` messages sent one at a time: sendText to the receiver's 'message'. */
async function deliveries(alice: Device, bob: Device, count = COUNT): Promise<number[]> {
  const waiting = new Map<string, () => void>();
  const stop = onIncoming(bob, (body) => waiting.get(body)?.());
  const samples: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const body = `delivery ${i}`;
      const received = new Promise<void>((resolve) => waiting.set(body, resolve));
      const start = performance.now();
      await alice.messenger.sendText(bob.jid, body);
      await received;
      samples.push(performance.now() - start);
      waiting.delete(body);
    }
  } finally {
    stop();
  }
  await until(async () => (await alice.storage.outbox.list(alice.jid)).length === 0, 'acks');
  return samples;
}

/** COUNT messages back to back; ms until the receiver has all and the sender's outbox is empty. */
async function burst(alice: Device, bob: Device, label: string): Promise<number> {
  let received = 0;
  const stop = onIncoming(bob, (body) => {
    if (body.startsWith(label)) received++;
  });
  try {
    const start = performance.now();
    for (let i = 0; i < COUNT; i++) await alice.messenger.sendText(bob.jid, `${label} ${i}`);
    await until(
      async () => received === COUNT && (await alice.storage.outbox.list(alice.jid)).length === 0,
      `${COUNT} messages received and acked`,
    );
    return performance.now() - start;
  } finally {
    stop();
  }
}

/** Receiver offline, COUNT messages sent; ms from the receiver's start() to all COUNT stored. */
async function catchUp(server: ProsodyServer, alice: Device, receiver: string): Promise<number> {
  for (let i = 0; i < COUNT; i++)
    await alice.messenger.sendText(`${receiver}@localhost`, `offline ${i}`);
  await until(async () => (await alice.storage.outbox.list(alice.jid)).length === 0, 'acks');
  const device = await connect(server, receiver);
  try {
    let received = 0;
    onIncoming(device, () => received++);
    const start = performance.now();
    await device.messenger.start();
    const elapsed = performance.now() - start;
    const stored = await device.storage.messages.history(device.jid, alice.jid, {
      limit: 2 * COUNT,
    });
    if (received !== COUNT || stored.length !== COUNT)
      throw new Error(`catch-up stored ${stored.length} of ${COUNT} (${received} events)`);
    return elapsed;
  } finally {
    await device.close();
  }
}

interface ServerResult {
  deliveries: number[];
  burstMs: number;
  catchUpMs: number;
}

async function measureServer(rate: string): Promise<ServerResult> {
  const server = await startProsody({ settings: { C2S_RATE: rate } });
  try {
    trustCertificateAuthority(server.caCert);
    for (const name of ['alice', 'bob', 'carol']) await server.createAccount(name, PASSWORD);
    const [alice, bob] = await Promise.all([connect(server, 'alice'), connect(server, 'bob')]);
    try {
      await Promise.all([alice.messenger.start(), bob.messenger.start()]);
      // Warm-up: JIT, TLS and stream state, the server's first stanzas; not recorded.
      await deliveries(alice, bob, WARMUP);
      const samples = await deliveries(alice, bob);
      const burstMs = await burst(alice, bob, 'burst');
      await bob.close();
      const catchUpMs = await catchUp(server, alice, 'carol');
      return { deliveries: samples, burstMs, catchUpMs };
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
  } finally {
    await server.stop();
  }
}

export async function measureMessaging(): Promise<[string, string][]> {
  const production = await measureServer(PRODUCTION_RATE);
  const raised = await measureServer(RAISED_RATE);
  const servers = [
    [`C2S_RATE ${PRODUCTION_RATE} (template)`, production],
    [`C2S_RATE ${RAISED_RATE} (raised)`, raised],
  ] as const;
  const ratio = (what: string, template: number, more: number) =>
    [
      `${what} ratio, C2S_RATE ${RAISED_RATE} vs ${PRODUCTION_RATE}`,
      `${(template / more).toFixed(1)}x`,
    ] as [string, string];
  const rows: [string, string][] = [];
  for (const q of [0.5, 0.99]) {
    for (const [limit, result] of servers) {
      rows.push([
        `one-way delivery over wss, sendText to the receiver's 'message', ${COUNT} one at a time after ${WARMUP} to warm up, ${limit}, p${q * 100}`,
        `${quantile(result.deliveries, q).toFixed(1)} ms`,
      ]);
    }
  }
  rows.push(
    ratio(
      'one-way delivery p50',
      quantile(production.deliveries, 0.5),
      quantile(raised.deliveries, 0.5),
    ),
  );
  for (const [limit, result] of servers) {
    rows.push([
      `throughput, ${COUNT} messages back to back until received and acked, ${limit}, one run`,
      `${((COUNT / result.burstMs) * 1000).toFixed(0)} msg/s (${result.burstMs.toFixed(0)} ms)`,
    ]);
  }
  rows.push(ratio('throughput', production.burstMs, raised.burstMs));
  for (const [limit, result] of servers) {
    rows.push([
      `archive catch-up of ${COUNT} messages, start() to all stored, ${limit}, one run`,
      `${result.catchUpMs.toFixed(0)} ms (${(result.catchUpMs / COUNT).toFixed(1)} ms/msg)`,
    ]);
  }
  rows.push(ratio('catch-up', production.catchUpMs, raised.catchUpMs));
  return rows;
}

/** Prints the rows as lines of run.ts's Markdown table. */
export async function printMessagingRows(): Promise<void> {
  printRows(await measureMessaging());
}

if (process.argv[1] === import.meta.filename) {
  printHeader();
  await printMessagingRows();
}
