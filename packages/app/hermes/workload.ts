// What a phone's JavaScript engine does most in Hush, as one script for the Hermes VM, and for Node to
// compare with: an OMEMO session with 1,000 messages each way, a SCRAM-SHA-256 login proof, XEP-0454
// AES-GCM of a 10 MB file, and a 5-minute voice message remuxed to CAF as iOS plays it.
//
// The script is bundled by Metro with the app's own configuration (hermes/run.ts). Randomness comes from
// a seeded ChaCha20 stream so that both engines produce the same bytes: the run compares digests of
// every output, not only timings. Input (the Opus file) arrives as `globalThis.hushHermesInput`;
// the result is one JSON line through `print` (Hermes) or `console.log` (Node).
import { chacha20 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { pbkdf2Async } from '@noble/hashes/pbkdf2.js';
import {
  SessionBuilder,
  SessionCipher,
  type MessageType,
} from '@privacyresearch/libsignal-protocol-typescript';
import { createTestParty } from '../../test-utils/src/signal-store.ts';
import { installNobleCrypto } from '../../core/src/omemo/crypto-provider.ts';
import { decryptPayload, encryptPayload } from '../../core/src/omemo/message.ts';
import { ScramClient } from '../../core/src/xmpp/scram.ts';
import { decryptFile, encryptFile } from '../../core/src/media/aesgcm.ts';
import { opusToCaf } from '../../core/src/voice/caf.ts';
import { decodeBase64, encodeBase64 } from '../../core/src/util/base64.ts';

declare const print: ((line: string) => void) | undefined;

export interface WorkloadInput {
  /** A 5-minute Ogg Opus voice message, base64. */
  readonly opus: string;
  /** OMEMO messages each way in the backlog. */
  readonly messages: number;
  /** OMEMO messages taking turns (each a ratchet step). */
  readonly turns: number;
  /** Bytes of the file encrypted and decrypted. */
  readonly fileBytes: number;
  /** PBKDF2 iterations of the SCRAM proof (the server's count). */
  readonly iterations: number;
}

export interface WorkloadStep {
  /** Milliseconds, wall clock. */
  readonly ms: number;
  /** Hex SHA-256 of what the step produced, compared across engines. */
  readonly digest: string;
}

export interface WorkloadResult {
  readonly engine: string;
  readonly omemoSetup: WorkloadStep;
  readonly omemoEncrypt: WorkloadStep;
  readonly omemoDecrypt: WorkloadStep;
  readonly omemoTurns: WorkloadStep;
  readonly scramRfcVector: boolean;
  readonly scramProof: WorkloadStep;
  readonly scramFromKeys: WorkloadStep;
  /** The same PBKDF2 through noble's general-purpose pbkdf2Async, the path the proof took before. */
  readonly pbkdf2Noble: WorkloadStep;
  readonly fileEncrypt: WorkloadStep;
  readonly fileDecrypt: WorkloadStep;
  readonly cafRemux: WorkloadStep;
}

const input = (globalThis as { hushHermesInput?: WorkloadInput }).hushHermesInput;

/** A deterministic stream for the run's "random" bytes: same seed, same bytes, in both engines. */
function seededRandom(seed: number): (length: number) => Uint8Array {
  const key = new Uint8Array(32).fill(seed);
  let counter = 0;
  return (length) => {
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setUint32(0, counter++, true);
    return chacha20(key, nonce, new Uint8Array(length));
  };
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

class Digest {
  readonly #hash = sha256.create();
  add(bytes: Uint8Array | string): void {
    this.#hash.update(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
  }
  hex(): string {
    return hex(this.#hash.digest());
  }
}

async function timed(run: (digest: Digest) => Promise<void> | void): Promise<WorkloadStep> {
  const digest = new Digest();
  const start = Date.now();
  await run(digest);
  return { ms: Date.now() - start, digest: digest.hex() };
}

type Sealed = { iv: Uint8Array; payload: Uint8Array; key: MessageType; body: string };

async function seal(
  cipher: SessionCipher,
  body: string,
  random: (length: number) => Uint8Array,
): Promise<Sealed> {
  const { payload, iv, keyMaterial } = encryptPayload(body, random);
  return { iv, payload, key: await cipher.encrypt(keyMaterial.slice().buffer), body };
}

async function open(cipher: SessionCipher, item: Sealed): Promise<string> {
  const key =
    item.key.type === 3
      ? await cipher.decryptPreKeyWhisperMessage(item.key.body ?? '', 'binary')
      : await cipher.decryptWhisperMessage(item.key.body ?? '', 'binary');
  const text = decryptPayload(new Uint8Array(key), item.iv, item.payload);
  if (text !== item.body) throw new Error(`OMEMO message ${item.body} came back changed.`);
  return text;
}

/**
 * One OMEMO session as a phone lives it: the first message (PreKey) and its answer, a backlog of
 * `messages` each way (written while the other side was away, then read: one chain, no ratchet step
 * per message), and `turns` messages taking turns, each a ratchet step with an X25519 agreement.
 */
async function omemo(
  messages: number,
  turns: number,
  random: (length: number) => Uint8Array,
): Promise<Pick<WorkloadResult, 'omemoSetup' | 'omemoEncrypt' | 'omemoDecrypt' | 'omemoTurns'>> {
  let pair: { a: SessionCipher; b: SessionCipher } | undefined;
  const omemoSetup = await timed(async (digest) => {
    const alice = await createTestParty('alice@example.org', 1);
    const bob = await createTestParty('bob@example.org', 2);
    await new SessionBuilder(alice.store, bob.address).processPreKey(bob.bundle);
    const a = new SessionCipher(alice.store, bob.address);
    const b = new SessionCipher(bob.store, alice.address);
    digest.add(await open(b, await seal(a, 'hello', random)));
    digest.add(await open(a, await seal(b, 'hello to you', random)));
    pair = { a, b };
  });
  if (!pair) throw new Error('No OMEMO session was set up.');
  const { a, b } = pair;
  const backlogs: [Sealed[], Sealed[]] = [[], []];
  const omemoEncrypt = await timed(async (digest) => {
    for (const [index, from] of [a, b].entries()) {
      for (let i = 0; i < messages; i++) {
        const sealed = await seal(from, `backlog ${index}.${i}: ${'ok '.repeat(i % 20)}`, random);
        backlogs[index as 0 | 1].push(sealed);
        digest.add(sealed.payload);
      }
    }
  });
  const omemoDecrypt = await timed(async (digest) => {
    for (const item of backlogs[0]) digest.add(await open(b, item));
    for (const item of backlogs[1]) digest.add(await open(a, item));
  });
  const omemoTurns = await timed(async (digest) => {
    for (let i = 0; i < turns; i++) {
      const [from, to] = i % 2 === 0 ? [a, b] : [b, a];
      const sealed = await seal(from, `turn ${i}`, random);
      digest.add(sealed.payload);
      digest.add(await open(to, sealed));
    }
  });
  return { omemoSetup, omemoEncrypt, omemoDecrypt, omemoTurns };
}

/** RFC 7677 §3's SCRAM-SHA-256 example, byte for byte. */
async function scramRfcVector(): Promise<boolean> {
  const client = new ScramClient({
    mechanism: 'SCRAM-SHA-256',
    username: 'user',
    password: 'pencil',
    clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  });
  client.clientFirst();
  const final = await client.clientFinal(
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  );
  return (
    final ===
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='
  );
}

/** A first login's proof (PBKDF2 over the server's count), then a returning device's from the kept keys. */
async function scram(
  iterations: number,
): Promise<Pick<WorkloadResult, 'scramProof' | 'scramFromKeys' | 'pbkdf2Noble'>> {
  const salt = encodeBase64(new Uint8Array(16).fill(7));
  const serverFirst = `r=hermesclientnonceserver,s=${salt},i=${iterations}`;
  const options = {
    mechanism: 'SCRAM-SHA-256',
    username: 'alice',
    clientNonce: 'hermesclientnonce',
  } as const;
  let first: ScramClient | undefined;
  const scramProof = await timed(async (digest) => {
    first = new ScramClient({ ...options, password: 'correct horse battery staple' });
    first.clientFirst();
    digest.add(await first.clientFinal(serverFirst));
  });
  const keys = first?.keys;
  if (!keys) throw new Error('The first SCRAM exchange kept no keys.');
  const scramFromKeys = await timed(async (digest) => {
    const again = new ScramClient({ ...options, keys });
    again.clientFirst();
    digest.add(await again.clientFinal(serverFirst));
  });
  const pbkdf2Noble = await timed(async (digest) => {
    const salted = await pbkdf2Async(
      sha256,
      new TextEncoder().encode('correct horse battery staple'),
      new Uint8Array(16).fill(7),
      { c: iterations, dkLen: 32 },
    );
    digest.add(sha256(salted));
  });
  return { scramProof, scramFromKeys, pbkdf2Noble };
}

export async function runWorkload(options: WorkloadInput, engine: string): Promise<WorkloadResult> {
  const random = seededRandom(1);
  installNobleCrypto({ randomBytes: seededRandom(2) });
  const opus = decodeBase64(options.opus);
  if (!opus) throw new Error('The Opus input is not base64.');
  const file = seededRandom(3)(options.fileBytes);
  let sealed: { ciphertext: Uint8Array; key: Uint8Array; iv: Uint8Array } | undefined;
  const fileEncrypt = await timed((digest) => {
    sealed = encryptFile(file, random);
    digest.add(sealed.ciphertext);
  });
  const fileDecrypt = await timed((digest) => {
    if (!sealed) throw new Error('nothing sealed');
    digest.add(decryptFile(sealed.ciphertext, sealed.key, sealed.iv));
  });
  return {
    engine,
    ...(await omemo(options.messages, options.turns, random)),
    scramRfcVector: await scramRfcVector(),
    ...(await scram(options.iterations)),
    fileEncrypt,
    fileDecrypt,
    cafRemux: await timed((digest) => digest.add(opusToCaf(opus))),
  };
}

if (input) {
  const engine =
    typeof (globalThis as { HermesInternal?: unknown }).HermesInternal === 'object'
      ? 'hermes'
      : 'node';
  const out = typeof print === 'function' ? print : (line: string) => console.log(line);
  runWorkload(input, engine).then(
    (result) => out(`HUSH-RESULT ${JSON.stringify(result)}`),
    (error: unknown) => out(`HUSH-ERROR ${error instanceof Error ? error.stack : String(error)}`),
  );
}
