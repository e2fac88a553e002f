// The OMEMO cipher in process: a whole OMEMO message (AES-GCM payload, its key through a Signal
// message, and back) with five implementations side by side in one run, alternating rounds:
// Hush's OMEMO 0.3 (libsignal-protocol-typescript) with its curve on @noble (React Native's path)
// and on WebCrypto (Node's and browsers' path), Hush's OMEMO 2 (omemo2/: what two Hush clients
// speak; bench/omemo2-cipher.ts) on the same two curves, and Signal's native library as the
// baseline.
import { randomBytes } from 'node:crypto';
import {
  SessionBuilder,
  SessionCipher,
  setCurve,
  type MessageType,
} from '@privacyresearch/libsignal-protocol-typescript';
import { installNobleCrypto } from '@hush/core';
import { createTestParty, type TestParty } from '@hush/test-utils/signal-store';
import { decryptPayload, encryptPayload } from '../packages/core/src/omemo/message.ts';
import {
  createNobleCurve,
  createPlatformCurve,
  probePlatformCurve,
} from '../packages/core/src/omemo/crypto-provider.ts';
import { nativeParties, type NativeCipher } from './libsignal-native.ts';
import { omemo2Parties } from './omemo2-cipher.ts';
import {
  alternate,
  maxMedian,
  minMedian,
  noiseMark,
  printHeader,
  printRows,
  type Runs,
} from './stats.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));

export const IMPLEMENTATIONS = [
  'noble',
  'webcrypto',
  'omemo2-noble',
  'omemo2-webcrypto',
  'native',
] as const;
export type Implementation = (typeof IMPLEMENTATIONS)[number];
const LABEL: Record<Implementation, string> = {
  noble: 'Hush OMEMO 0.3, curve on @noble',
  webcrypto: 'Hush OMEMO 0.3, curve on WebCrypto',
  'omemo2-noble': 'Hush OMEMO 2, curve on @noble',
  'omemo2-webcrypto': 'Hush OMEMO 2, curve on WebCrypto',
  native: 'libsignal-client (native Rust; PQXDH + SPQR)',
};
const OMEMO2_CURVE = { 'omemo2-noble': 'noble', 'omemo2-webcrypto': 'webcrypto' } as const;
const isOmemo2 = (i: Implementation): i is keyof typeof OMEMO2_CURVE => i in OMEMO2_CURVE;

const curves = { noble: createNobleCurve(), webcrypto: createPlatformCurve() };
/** The TS library's curve is process-wide: each measurement of Hush sets the one it measures. */
function use(implementation: Implementation): void {
  if (implementation === 'noble' || implementation === 'webcrypto')
    setCurve(curves[implementation] as Parameters<typeof setCurve>[0]);
}

/** Sends one whole OMEMO message from one party to the other. */
type Send = (from: 'a' | 'b', body: string) => Promise<void>;

async function hushPair(): Promise<[TestParty, TestParty]> {
  const alice = await createTestParty('alice@localhost', 1);
  const bob = await createTestParty('bob@localhost', 2);
  await new SessionBuilder(alice.store, bob.address).processPreKey(bob.bundle);
  return [alice, bob];
}

async function hushSend(): Promise<{ send: Send; alice: TestParty; bob: TestParty }> {
  const [alice, bob] = await hushPair();
  const a = new SessionCipher(alice.store, bob.address);
  const b = new SessionCipher(bob.store, alice.address);
  const send: Send = async (from, body) => {
    const [sender, receiver] = from === 'a' ? [a, b] : [b, a];
    const { payload, iv, keyMaterial } = encryptPayload(body, random);
    const sealed: MessageType = await sender.encrypt(keyMaterial.slice().buffer);
    const key =
      sealed.type === 3
        ? await receiver.decryptPreKeyWhisperMessage(sealed.body ?? '', 'binary')
        : await receiver.decryptWhisperMessage(sealed.body ?? '', 'binary');
    if (decryptPayload(new Uint8Array(key), iv, payload) !== body) throw new Error('mismatch');
  };
  return { send, alice, bob };
}

async function nativeSend(): Promise<Send> {
  return nativeSendOn(await (await nativeParties()).connect());
}

function nativeSendOn(cipher: NativeCipher): Send {
  return async (from, body) => {
    const { payload, iv, keyMaterial } = encryptPayload(body, random);
    const key = await cipher.send(from, keyMaterial.slice());
    if (decryptPayload(key, iv, payload) !== body) throw new Error('mismatch');
  };
}

async function sender(implementation: Implementation): Promise<Send> {
  use(implementation);
  const send =
    implementation === 'native'
      ? await nativeSend()
      : isOmemo2(implementation)
        ? (await (await omemo2Parties(OMEMO2_CURVE[implementation])).connect()).send
        : (await hushSend()).send;
  await send('a', 'open');
  await send('b', 'answer');
  return send;
}

const PER_ROUND = 200;
const ROUNDS = 7;

/** Messages a second, one direction or alternating senders (a ratchet step each turn). */
async function cipherRates(alternating: boolean): Promise<Record<Implementation, Runs>> {
  const senders = new Map<Implementation, Send>();
  for (const implementation of IMPLEMENTATIONS)
    senders.set(implementation, await sender(implementation));
  return alternate(IMPLEMENTATIONS, ROUNDS, 1, async (implementation) => {
    use(implementation);
    const send = senders.get(implementation);
    if (!send) throw new Error(implementation);
    const start = performance.now();
    for (let i = 0; i < PER_ROUND; i++)
      await send(alternating && i % 2 === 1 ? 'b' : 'a', `message ${i}`);
    return (PER_ROUND / (performance.now() - start)) * 1000;
  });
}

/** Milliseconds from a bundle to the first PreKey message decrypted (X3DH; PQXDH natively). */
async function sessionSetups(): Promise<Record<Implementation, Runs>> {
  return alternate(IMPLEMENTATIONS, 15, 2, async (implementation) => {
    use(implementation);
    if (implementation === 'native') {
      // Both parties' keys are made before the clock starts, as createTestParty does for Hush.
      const parties = await nativeParties();
      const start = performance.now();
      await nativeSendOn(await parties.connect())('a', 'first');
      return performance.now() - start;
    }
    if (isOmemo2(implementation)) {
      const parties = await omemo2Parties(OMEMO2_CURVE[implementation]);
      const start = performance.now();
      await parties.connect();
      return performance.now() - start;
    }
    const alice = await createTestParty('alice@localhost', 1);
    const bob = await createTestParty('bob@localhost', 2);
    const start = performance.now();
    await new SessionBuilder(alice.store, bob.address).processPreKey(bob.bundle);
    const { payload, iv, keyMaterial } = encryptPayload('first', random);
    const sealed = await new SessionCipher(alice.store, bob.address).encrypt(
      keyMaterial.slice().buffer,
    );
    const key = await new SessionCipher(bob.store, alice.address).decryptPreKeyWhisperMessage(
      sealed.body ?? '',
      'binary',
    );
    decryptPayload(new Uint8Array(key), iv, payload);
    return performance.now() - start;
  });
}

async function recordSize(count: number): Promise<number> {
  use('webcrypto');
  const { send, alice, bob } = await hushSend();
  for (let i = 0; i < count; i++) await send(i % 2 === 0 ? 'a' : 'b', `m${i}`);
  return (alice.store.sessionRecord(bob.address) ?? '').length;
}

async function omemo2RecordSize(count: number): Promise<number> {
  const pair = await (await omemo2Parties('webcrypto')).connect();
  for (let i = 0; i < count; i++) await pair.send(i % 2 === 0 ? 'a' : 'b', `m${i}`);
  return pair.recordSize();
}

export async function measureCipher(): Promise<[string, string][]> {
  installNobleCrypto();
  const support = await probePlatformCurve();
  const rows: [string, string][] = [
    [
      'WebCrypto curve support found by the probe (X25519, Ed25519)',
      `${support.x25519 ? 'yes' : 'no'}, ${support.ed25519 ? 'yes' : 'no'}`,
    ],
  ];
  for (const alternating of [false, true]) {
    const rates = await cipherRates(alternating);
    const what = alternating
      ? 'alternating senders (a ratchet step each)'
      : 'one direction (no ratchet step)';
    for (const implementation of IMPLEMENTATIONS)
      rows.push([
        `OMEMO message encrypt+decrypt in process, ${what}, ${LABEL[implementation]}, ${PER_ROUND} a round, ${ROUNDS} rounds, max / median`,
        maxMedian(rates[implementation], 'msg/s'),
      ]);
    const ratio = (a: Implementation, b: Implementation) =>
      `${(rates[a].median / rates[b].median).toFixed(2)}x${noiseMark(rates[a], rates[b])}`;
    rows.push([
      `${what}: Hush OMEMO 0.3 on WebCrypto vs native libsignal, medians`,
      ratio('webcrypto', 'native'),
    ]);
    rows.push([
      `${what}: Hush OMEMO 0.3 on WebCrypto vs on @noble, medians`,
      ratio('webcrypto', 'noble'),
    ]);
    rows.push([
      `${what}: Hush OMEMO 2 on WebCrypto vs native libsignal, medians`,
      ratio('omemo2-webcrypto', 'native'),
    ]);
    rows.push([
      `${what}: Hush OMEMO 2 on WebCrypto vs Hush OMEMO 0.3 on WebCrypto, medians`,
      ratio('omemo2-webcrypto', 'webcrypto'),
    ]);
    rows.push([
      `${what}: Hush OMEMO 2 on WebCrypto vs on @noble, medians`,
      ratio('omemo2-webcrypto', 'omemo2-noble'),
    ]);
  }
  const setups = await sessionSetups();
  for (const implementation of IMPLEMENTATIONS)
    rows.push([
      `session setup from a bundle + first PreKey message decrypted, ${LABEL[implementation]}, 15 runs, min / median`,
      minMedian(setups[implementation], 'ms'),
    ]);
  rows.push([
    'session record after 10,000 alternating messages (Hush OMEMO 0.3)',
    `${(await recordSize(10_000)).toLocaleString('en')} bytes`,
  ]);
  rows.push([
    'session record after 10,000 alternating messages (Hush OMEMO 2, JSON)',
    `${(await omemo2RecordSize(10_000)).toLocaleString('en')} bytes`,
  ]);
  use('webcrypto');
  return rows;
}

// `node bench/omemo-cipher.ts` prints the in-process rows alone (bench/omemo.ts adds the server's).
if (process.argv[1] === import.meta.filename) {
  printHeader();
  printRows(await measureCipher());
}
