// XEP-0384 OMEMO Encryption — https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
// OMEMO costs: the cipher in process (a whole OMEMO message: AES-GCM payload plus the Signal
// message carrying its key), session setup, session record size, and on a real Prosody (the
// template's settings) the round trip of an encrypted message against a plain one measured side by
// side, and an archive catch-up of 1,000 encrypted messages.
// `node bench/omemo.ts` prints a whole table; bench/run.ts appends the rows to its own table.
import { cpus, totalmem } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  SessionBuilder,
  SessionCipher,
  type MessageType,
} from '@privacyresearch/libsignal-protocol-typescript';
import {
  createMemoryStorage,
  installNobleCrypto,
  openSession,
  startClient,
  type HushClient,
  type Storage,
} from '@hush/core';
import { createTestParty, type TestParty } from '@hush/test-utils/signal-store';
import { decryptPayload, encryptPayload } from '../packages/core/src/omemo/message.ts';
import { startProsody, trustCertificateAuthority, type ProsodyServer } from '@hush/test-utils';
import { templateDefault } from './template.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));
const PASSWORD = 'bench-password';
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function pair(): Promise<[TestParty, TestParty]> {
  const alice = await createTestParty('alice@localhost', 1);
  const bob = await createTestParty('bob@localhost', 2);
  await new SessionBuilder(alice.store, bob.address).processPreKey(bob.bundle);
  return [alice, bob];
}

/** One whole OMEMO message: payload encryption, key through Signal, and back. */
async function roundTrip(from: SessionCipher, to: SessionCipher, body: string): Promise<void> {
  const { payload, iv, keyMaterial } = encryptPayload(body, random);
  const sealed: MessageType = await from.encrypt(keyMaterial.slice().buffer);
  const key =
    sealed.type === 3
      ? await to.decryptPreKeyWhisperMessage(sealed.body ?? '', 'binary')
      : await to.decryptWhisperMessage(sealed.body ?? '', 'binary');
  if (decryptPayload(new Uint8Array(key), iv, payload) !== body) throw new Error('mismatch');
}

async function cipherRate(alternate: boolean, count: number): Promise<number> {
  const [alice, bob] = await pair();
  const a = new SessionCipher(alice.store, bob.address);
  const b = new SessionCipher(bob.store, alice.address);
  await roundTrip(a, b, 'open');
  await roundTrip(b, a, 'answer');
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    if (alternate && i % 2 === 1) await roundTrip(b, a, `message ${i}`);
    else await roundTrip(a, b, `message ${i}`);
  }
  return (count / (performance.now() - start)) * 1000;
}

async function sessionSetup(count: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const alice = await createTestParty('alice@localhost', 1);
    const bob = await createTestParty('bob@localhost', 2);
    const start = performance.now();
    await new SessionBuilder(alice.store, bob.address).processPreKey(bob.bundle);
    await roundTrip(
      new SessionCipher(alice.store, bob.address),
      new SessionCipher(bob.store, alice.address),
      'first',
    );
    samples.push(performance.now() - start);
  }
  return median(samples);
}

async function recordSize(count: number): Promise<number> {
  const [alice, bob] = await pair();
  const a = new SessionCipher(alice.store, bob.address);
  const b = new SessionCipher(bob.store, alice.address);
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) await roundTrip(a, b, `m${i}`);
    else await roundTrip(b, a, `m${i}`);
  }
  return (alice.store.sessionRecord(bob.address) ?? '').length;
}

interface Device {
  readonly jid: string;
  readonly client: HushClient;
  readonly storage: Storage;
  close(): Promise<void>;
}

async function device(server: ProsodyServer, name: string, encryption: boolean): Promise<Device> {
  const jid = `${name}@localhost`;
  const session = await openSession({ service: server.websocketUrl, jid, password: PASSWORD });
  const storage = createMemoryStorage();
  const client = await startClient({ session, storage, encryption });
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

/** sendText to the receiver's 'message', one at a time. */
async function roundTripOnce(from: Device, to: Device, body: string): Promise<number> {
  let stop = () => {};
  const received = new Promise<void>((resolve) => {
    stop = to.client.messenger.subscribe((event) => {
      if (event.type === 'message' && event.message.body === body) resolve();
    });
  });
  const start = performance.now();
  await from.client.messenger.sendText(to.jid, body);
  await received;
  stop();
  return performance.now() - start;
}

/** Round trip encrypted vs plain, and catch-up encrypted vs plain, on a server with this C2S_RATE. */
async function onServer(rate: string): Promise<[string, string][]> {
  const rows: [string, string][] = [];
  const label =
    rate === TEMPLATE_RATE ? `C2S_RATE ${rate} (template)` : `C2S_RATE ${rate} (raised)`;
  const server = await startProsody({ settings: { C2S_RATE: rate } });
  try {
    trustCertificateAuthority(server.caCert);
    for (const name of ['alice', 'bob', 'plainalice', 'plainbob'])
      await server.createAccount(name, PASSWORD);
    for (const name of ['carol', 'plaincarol'])
      for (const receipts of ['true', 'false'])
        await server.createAccount(`${name}${receipts}`, PASSWORD);
    const alice = await device(server, 'alice', true);
    const bob = await device(server, 'bob', true);
    const plainAlice = await device(server, 'plainalice', false);
    const plainBob = await device(server, 'plainbob', false);
    // Warm up: sessions built, JIT warm.
    for (let i = 0; i < 20; i++) {
      await roundTripOnce(alice, bob, `warm ${i}`);
      await roundTripOnce(bob, alice, `warm back ${i}`);
      await roundTripOnce(plainAlice, plainBob, `warm ${i}`);
    }
    const encrypted: number[] = [];
    const plain: number[] = [];
    // Interleaved, so both see the same machine and server state.
    for (let i = 0; i < 300; i++) {
      encrypted.push(await roundTripOnce(alice, bob, `e ${i}`));
      plain.push(await roundTripOnce(plainAlice, plainBob, `p ${i}`));
    }
    rows.push([
      `round trip, OMEMO (1 recipient device) vs plain, 300 each interleaved, ${label}, p50`,
      `${median(encrypted).toFixed(1)} ms vs ${median(plain).toFixed(1)} ms: ${(median(encrypted) / median(plain)).toFixed(2)}x`,
    ]);
    await Promise.all([plainBob.close(), bob.close()]);
    for (const receipts of [false, true]) {
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

export async function measureOmemo(): Promise<[string, string][]> {
  installNobleCrypto();
  const rows: [string, string][] = [];
  const same = await cipherRate(false, 2000);
  const alternating = await cipherRate(true, 2000);
  rows.push([
    'OMEMO message encrypt+decrypt in process (AES-GCM payload + Signal key), one direction, 2,000',
    `${same.toFixed(0)} msg/s`,
  ]);
  rows.push([
    'OMEMO message encrypt+decrypt in process, alternating senders (a ratchet step each), 2,000',
    `${alternating.toFixed(0)} msg/s`,
  ]);
  rows.push([
    'session setup from a bundle (X3DH) + first PreKey message decrypted, median of 50',
    `${(await sessionSetup(50)).toFixed(1)} ms`,
  ]);
  rows.push([
    'session record after 10,000 alternating messages',
    `${(await recordSize(10_000)).toLocaleString('en')} bytes`,
  ]);

  for (const rate of [TEMPLATE_RATE, '10mb/s']) rows.push(...(await onServer(rate)));
  return rows;
}

/** Prints the rows as lines of run.ts's Markdown table. */
export async function printOmemoRows(): Promise<void> {
  for (const [name, value] of await measureOmemo()) console.log(`| ${name} | ${value} |`);
}

if (process.argv[1] === import.meta.filename) {
  console.log(
    `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  );
  console.log(`Date: ${new Date().toISOString().slice(0, 10)}\n`);
  console.log('| measurement | result |\n| --- | --- |');
  await printOmemoRows();
}
