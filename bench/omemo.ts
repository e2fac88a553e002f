// XEP-0384 OMEMO Encryption — https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
// OMEMO costs, each a whole operation compared side by side in one run, warmed up, repeated, printed
// as min/median (or max/median for rates) and marked where two configurations are within noise:
// - in process, a whole OMEMO message (AES-GCM payload plus the Signal message carrying its key,
//   and back) with Hush's curve on @noble, on WebCrypto, and with Signal's native library
//   (@signalapp/libsignal-client, bench/libsignal-native.ts) as the baseline; session setup;
//   session record size;
// - on a real Prosody (the template's settings): one-way delivery (sendText to the receiver's
//   'message') and a real round trip (a ping answered by a pong, sendText to the pong's arrival),
//   encrypted against plain, interleaved; and an archive catch-up of 1,000 encrypted messages.
//   Two Hush clients write OMEMO 2 to each other with WebCrypto's X25519 (a browser's), a pair of
//   OMEMO 0.3-only devices and a pair on node:crypto's X25519 (the CLI's) are interleaved beside
//   them.
// `node bench/omemo.ts` prints a whole table; bench/run.ts appends the rows to its own table.
// Parts alone: `node bench/omemo.ts cipher`, `... trip` (delivery and round trip), `... catchup`.
import {
  createMemoryStorage,
  installNobleCrypto,
  openSession,
  startClient,
  type HushClient,
  type Storage,
} from '@hush/core';
import type { OmemoVersion } from '../packages/core/src/omemo/pep.ts';
import { startProsody, trustCertificateAuthority, type ProsodyServer } from '@hush/test-utils';
import { measureCipher } from './omemo-cipher.ts';
import { installNativeX25519 } from '@hush/core';
import { nodeX25519 } from '../packages/cli/src/node-x25519.ts';
import { templateDefault } from './template.ts';
import { median, noiseMark, printHeader, printRows, runs, type Runs } from './stats.ts';

const PASSWORD = 'bench-password';

interface Device {
  readonly jid: string;
  readonly client: HushClient;
  readonly storage: Storage;
  close(): Promise<void>;
}

async function device(
  server: ProsodyServer,
  name: string,
  encryption: boolean,
  versions?: readonly OmemoVersion[],
): Promise<Device> {
  const jid = `${name}@localhost`;
  const session = await openSession({ service: server.websocketUrl, jid, password: PASSWORD });
  const storage = createMemoryStorage();
  const client = await startClient({
    session,
    storage,
    encryption,
    ...(versions ? { omemo: { versions } } : {}),
  });
  return {
    jid,
    client,
    storage,
    close: async () => {
      await client.close();
      await session.close();
    },
  };
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = performance.now() + 300_000;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Resolves when `device` emits an incoming message with this body. */
function arrival(device: Device, body: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = device.client.messenger.subscribe((event) => {
      if (
        event.type === 'message' &&
        event.message.direction === 'in' &&
        event.message.body === body
      ) {
        stop();
        resolve();
      }
    });
  });
}

/** One-way delivery: sendText to the receiver's 'message'. */
async function oneWay(from: Device, to: Device, body: string): Promise<number> {
  const received = arrival(to, body);
  const start = performance.now();
  await from.client.messenger.sendText(to.jid, body);
  await received;
  return performance.now() - start;
}

/** `device` answers every incoming "ping N" with "pong N", as a person's client would answer. */
function answerPings(device: Device, peer: string): () => void {
  return device.client.messenger.subscribe((event) => {
    if (event.type !== 'message' || event.message.direction !== 'in') return;
    const { body } = event.message;
    if (body.startsWith('ping '))
      void device.client.messenger.sendText(peer, `pong ${body.slice(5)}`);
  });
}

/** A real round trip: a ping sent, decrypted and answered on the other side, the pong back here. */
async function pingPong(from: Device, body: string): Promise<number> {
  const pong = arrival(from, `pong ${body}`);
  const start = performance.now();
  await from.client.messenger.sendText(BOB_OF.get(from.jid) ?? '', `ping ${body}`);
  await pong;
  return performance.now() - start;
}
const BOB_OF = new Map<string, string>();

const SAMPLES = 200;
const BLOCKS = 5;

/** The samples' median, and the medians of BLOCKS consecutive blocks as the runs for noise. */
function blocks(samples: number[]): Runs {
  const size = Math.floor(samples.length / BLOCKS);
  return runs(
    Array.from({ length: BLOCKS }, (_, i) => median(samples.slice(i * size, (i + 1) * size))),
  );
}

function versus(encrypted: number[], plain: number[]): string {
  const [e, p] = [blocks(encrypted), blocks(plain)];
  const ratio = median(encrypted) / median(plain);
  return `${median(encrypted).toFixed(1)} ms vs ${median(plain).toFixed(1)} ms: ${ratio.toFixed(2)}x${noiseMark(e, p)}`;
}

/** Delivery and round trip encrypted vs plain, and catch-up, on a server with this C2S_RATE. */
async function onServer(
  rate: string,
  parts: { trip: boolean; catchUp: boolean },
): Promise<[string, string][]> {
  const rows: [string, string][] = [];
  const label =
    rate === TEMPLATE_RATE ? `C2S_RATE ${rate} (template)` : `C2S_RATE ${rate} (raised)`;
  const server = await startProsody({ settings: { C2S_RATE: rate } });
  try {
    trustCertificateAuthority(server.caCert);
    for (const name of [
      'alice',
      'bob',
      'plainalice',
      'plainbob',
      'oldalice',
      'oldbob',
      'nalice',
      'nbob',
    ])
      await server.createAccount(name, PASSWORD);
    for (const name of ['carol', 'plaincarol'])
      for (const receipts of ['true', 'false'])
        await server.createAccount(`${name}${receipts}`, PASSWORD);
    const alice = await device(server, 'alice', true);
    const bob = await device(server, 'bob', true);
    const plainAlice = await device(server, 'plainalice', false);
    const plainBob = await device(server, 'plainbob', false);
    const oldAlice = await device(server, 'oldalice', true, ['0.3']);
    const oldBob = await device(server, 'oldbob', true, ['0.3']);
    // A pair on node:crypto's X25519 (the CLI's), the others on WebCrypto's: each client's curve is
    // made at its first OMEMO work, so the pair starts and exchanges once while it is installed
    // (after the others: 0.3's curve is one for the process, made at its first use).
    let nativeCalls = 0;
    installNativeX25519({
      publicKey: (key) => (nativeCalls++, nodeX25519.publicKey(key)),
      agree: (key, their) => (nativeCalls++, nodeX25519.agree(key, their)),
    });
    const nativeAlice = await device(server, 'nalice', true);
    const nativeBob = await device(server, 'nbob', true);
    await oneWay(nativeAlice, nativeBob, 'curve');
    await oneWay(nativeBob, nativeAlice, 'curve back');
    installNativeX25519(undefined);
    BOB_OF.set(alice.jid, bob.jid)
      .set(plainAlice.jid, plainBob.jid)
      .set(oldAlice.jid, oldBob.jid)
      .set(nativeAlice.jid, nativeBob.jid);
    if (parts.trip) {
      const answering = [
        answerPings(bob, alice.jid),
        answerPings(plainBob, plainAlice.jid),
        answerPings(oldBob, oldAlice.jid),
        answerPings(nativeBob, nativeAlice.jid),
      ];
      // Warm up: sessions built both ways, JIT warm.
      for (let i = 0; i < 20; i++) {
        for (const [a, b] of [
          [alice, bob],
          [oldAlice, oldBob],
          [nativeAlice, nativeBob],
        ] as const) {
          await oneWay(a, b, `warm ${i}`);
          await oneWay(b, a, `warm back ${i}`);
          await pingPong(a, `warm ${i}`);
        }
        await oneWay(plainAlice, plainBob, `warm ${i}`);
        await pingPong(plainAlice, `warm ${i}`);
      }
      // Interleaved, so all three see the same machine and server state.
      const samples = () => ({
        encrypted: [] as number[],
        old: [] as number[],
        native: [] as number[],
        plain: [] as number[],
      });
      const [delivery, trip] = [samples(), samples()];
      for (let i = 0; i < SAMPLES; i++) {
        delivery.encrypted.push(await oneWay(alice, bob, `e ${i}`));
        delivery.old.push(await oneWay(oldAlice, oldBob, `o ${i}`));
        delivery.native.push(await oneWay(nativeAlice, nativeBob, `n ${i}`));
        delivery.plain.push(await oneWay(plainAlice, plainBob, `p ${i}`));
        trip.encrypted.push(await pingPong(alice, `e ${i}`));
        trip.old.push(await pingPong(oldAlice, `o ${i}`));
        trip.native.push(await pingPong(nativeAlice, `n ${i}`));
        trip.plain.push(await pingPong(plainAlice, `p ${i}`));
      }
      for (const stop of answering) stop();
      if (nativeCalls < SAMPLES) throw new Error(`node:crypto's X25519 ran ${nativeCalls} times`);
      rows.push([
        `one-way delivery (sendText to the receiver's 'message'), OMEMO 2 (1 recipient device) vs plain, ${SAMPLES} each interleaved, ${label}, medians`,
        versus(delivery.encrypted, delivery.plain),
      ]);
      rows.push([
        `one-way delivery, OMEMO 0.3 vs plain, same run, ${label}, medians`,
        versus(delivery.old, delivery.plain),
      ]);
      rows.push([
        `round trip (a ping, decrypted and answered with a pong, the pong decrypted), OMEMO 2 vs plain, ${SAMPLES} each interleaved, ${label}, medians`,
        versus(trip.encrypted, trip.plain),
      ]);
      rows.push([
        `round trip, OMEMO 0.3 vs plain, same run, ${label}, medians`,
        versus(trip.old, trip.plain),
      ]);
      rows.push([
        `one-way delivery, OMEMO 2 with node:crypto's X25519 on the calling thread (the CLI's) vs plain, same run, ${label}, medians`,
        versus(delivery.native, delivery.plain),
      ]);
      rows.push([
        `round trip, OMEMO 2 with node:crypto's X25519 (the CLI's) vs plain, same run, ${label}, medians`,
        versus(trip.native, trip.plain),
      ]);
    }
    await Promise.all([
      plainBob.close(),
      bob.close(),
      oldBob.close(),
      oldAlice.close(),
      nativeAlice.close(),
      nativeBob.close(),
    ]);
    for (const receipts of parts.catchUp ? [false, true] : []) {
      const encryptedCatchUp = await catchUp(
        server,
        alice,
        `carol${String(receipts)}`,
        true,
        receipts,
      );
      const plainCatchUp = await catchUp(
        server,
        plainAlice,
        `plaincarol${String(receipts)}`,
        false,
        receipts,
      );
      const what = receipts
        ? 'a returning device, a delivery receipt sent for each'
        : 'fetched and decrypted, no receipts (a first sync)';
      rows.push([
        `archive catch-up of ${CATCH_UP} messages, ${what}, start to all stored, OMEMO vs plain, ${label}`,
        `${encryptedCatchUp.toFixed(0)} ms vs ${plainCatchUp.toFixed(0)} ms: ${(encryptedCatchUp / plainCatchUp).toFixed(2)}x`,
      ]);
    }
    await Promise.all([alice.close(), plainAlice.close()]);
  } finally {
    await server.stop();
  }
  return rows;
}

const CATCH_UP = 1000;
const TEMPLATE_RATE = process.env.BENCH_C2S_RATE ?? templateDefault('C2S_RATE');

/**
 * The receiver's device is known to the sender (it wrote once), goes away, CATCH_UP messages wait in
 * the archive, and the same device comes back: ms from startClient to all stored (decrypted).
 */
async function catchUp(
  server: ProsodyServer,
  sender: Device,
  receiver: string,
  encryption: boolean,
  receipts: boolean,
): Promise<number> {
  const first = await device(server, receiver, encryption);
  await first.client.messenger.sendText(sender.jid, 'hello');
  await first.close();
  if (!receipts) {
    // Forget the first sync: the catch-up then counts as the device's first, which sends no receipts.
    const { mamLastStanzaId, ...account } = (await first.storage.accounts.get(first.jid)) ?? {
      jid: first.jid,
      service: server.websocketUrl,
      resource: 'bench',
    };
    void mamLastStanzaId;
    await first.storage.accounts.put(account);
  }
  for (let i = 0; i < CATCH_UP; i++)
    await sender.client.messenger.sendText(first.jid, `offline ${i}`);
  await until(async () => (await sender.storage.outbox.list(sender.jid)).length === 0, 'acked');
  const session = await openSession({
    service: server.websocketUrl,
    jid: first.jid,
    password: PASSWORD,
  });
  const start = performance.now();
  const client = await startClient({ session, storage: first.storage, encryption });
  const elapsed = performance.now() - start;
  const stored = await first.storage.messages.history(first.jid, sender.jid, {
    limit: 2 * CATCH_UP,
  });
  const got = stored.filter((m) => m.body.startsWith('offline ') && m.encrypted === encryption);
  if (got.length !== CATCH_UP) throw new Error(`caught up ${got.length} of ${CATCH_UP}`);
  await client.close();
  await session.close();
  return elapsed;
}

const PARTS = ['cipher', 'trip', 'catchup'] as const;
type Part = (typeof PARTS)[number];

export async function measureOmemo(parts: readonly Part[] = PARTS): Promise<[string, string][]> {
  installNobleCrypto();
  const rows = parts.includes('cipher') ? await measureCipher() : [];
  const onServerParts = { trip: parts.includes('trip'), catchUp: parts.includes('catchup') };
  if (onServerParts.trip || onServerParts.catchUp)
    for (const rate of [TEMPLATE_RATE, '10mb/s'])
      rows.push(...(await onServer(rate, onServerParts)));
  return rows;
}

/** Prints the rows as lines of run.ts's Markdown table. */
export async function printOmemoRows(parts?: readonly Part[]): Promise<void> {
  printRows(await measureOmemo(parts));
}

if (process.argv[1] === import.meta.filename) {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((part) => !(PARTS as readonly string[]).includes(part));
  if (unknown.length > 0)
    throw new Error(`unknown part ${unknown.join(', ')}: ${PARTS.join(', ')}`);
  printHeader();
  await printOmemoRows(asked.length > 0 ? (asked as Part[]) : PARTS);
}
