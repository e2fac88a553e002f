import { test } from 'node:test';
import assert from 'node:assert/strict';
import libsignal, {
  SessionBuilder,
  SessionCipher,
  type MessageType,
} from '@privacyresearch/libsignal-protocol-typescript';
import { isHushError } from '../errors.ts';
import {
  createNobleCurve,
  createPlatformCurve,
  installNobleCrypto,
  OmemoCryptoError,
} from './crypto-provider.ts';
import { createTestParty, type TestParty } from '@hush/test-utils/signal-store';

const PREKEY_WHISPER_MESSAGE = 3;
const WHISPER_MESSAGE = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function connect(alice: TestParty, bob: TestParty) {
  await new SessionBuilder(alice.store, bob.address).processPreKey(bob.bundle);
  return {
    aliceToBob: new SessionCipher(alice.store, bob.address),
    bobToAlice: new SessionCipher(bob.store, alice.address),
  };
}

async function decrypt(cipher: SessionCipher, message: MessageType): Promise<string> {
  assert.ok(message.body !== undefined);
  const plaintext =
    message.type === PREKEY_WHISPER_MESSAGE
      ? await cipher.decryptPreKeyWhisperMessage(message.body, 'binary')
      : await cipher.decryptWhisperMessage(message.body, 'binary');
  return decoder.decode(plaintext);
}

function encrypt(cipher: SessionCipher, text: string): Promise<MessageType> {
  return cipher.encrypt(encoder.encode(text).buffer);
}

/** Replaces Math.random with a counter for the duration of `run`. */
async function countMathRandom(run: () => Promise<void>): Promise<number> {
  const original = Math.random;
  let calls = 0;
  Math.random = () => {
    calls += 1;
    return original();
  };
  try {
    await run();
  } finally {
    Math.random = original;
  }
  return calls;
}

test('no random source: a HushError, and Math.random is never touched', async () => {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  assert.ok(descriptor?.configurable);
  Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true });
  try {
    const calls = await countMathRandom(() => {
      assert.throws(
        () => installNobleCrypto(),
        (error: unknown) =>
          isHushError(error, 'ProtocolError') &&
          error instanceof OmemoCryptoError &&
          error.reason === 'NoRandomSource',
      );
      return Promise.resolve();
    });
    assert.equal(calls, 0);
  } finally {
    Object.defineProperty(globalThis, 'crypto', descriptor);
  }
});

test('a random source returning the wrong length fails closed', async () => {
  installNobleCrypto();
  const { createNobleWebCrypto } = await import('./crypto-provider.ts');
  const webCrypto = createNobleWebCrypto(() => new Uint8Array(3));
  assert.throws(() => webCrypto.getRandomValues(new Uint8Array(32)), OmemoCryptoError);
});

for (const [name, create] of [
  ['noble', createNobleCurve],
  ['platform (WebCrypto)', createPlatformCurve],
] as const)
  test(`${name} X25519 equals the library curve, signatures verify across both; verify() keeps inverted meaning`, async () => {
    const { Curve: builtIn } = await libsignal.default();
    const noble = create();
    for (let i = 0; i < 20; i++) {
      const alicePriv = crypto.getRandomValues(new Uint8Array(32)).buffer;
      const bobPriv = crypto.getRandomValues(new Uint8Array(32)).buffer;
      const builtInAlice = builtIn.createKeyPair(alicePriv);
      const builtInBob = builtIn.createKeyPair(bobPriv);
      const nobleAlice = await noble.keyPair(alicePriv);
      const nobleBob = await noble.keyPair(bobPriv);
      // The library prefixes the 0x05 type byte; the curve layer works on the 32 raw bytes.
      assert.deepEqual(
        new Uint8Array(builtInAlice.pubKey).subarray(1),
        new Uint8Array(nobleAlice.pubKey),
      );
      assert.deepEqual(new Uint8Array(builtInAlice.privKey), new Uint8Array(nobleAlice.privKey));
      assert.deepEqual(
        new Uint8Array(builtIn.calculateAgreement(builtInBob.pubKey, builtInAlice.privKey)),
        new Uint8Array(await noble.sharedSecret(nobleBob.pubKey, nobleAlice.privKey)),
      );

      const message = crypto.getRandomValues(new Uint8Array(33 + i)).buffer;
      // Signatures cannot be compared byte for byte: the nonce of the library's wasm build comes from
      // a different derivation (see crypto-provider.ts). Each side must accept the other's.
      const builtInSignature = builtIn.calculateSignature(builtInAlice.privKey, message);
      const nobleSignature = await noble.sign(nobleAlice.privKey, message);
      assert.equal(nobleSignature.byteLength, 64);
      assert.deepEqual(
        new Uint8Array(await noble.sign(nobleAlice.privKey, message)),
        new Uint8Array(nobleSignature),
      );

      // Inverted: false = valid, true = invalid, for both implementations.
      assert.equal(await noble.verify(nobleAlice.pubKey, message, builtInSignature), false);
      assert.equal(builtIn.verifySignature(builtInAlice.pubKey, message, nobleSignature), false);
      const tampered = new Uint8Array(nobleSignature);
      tampered[i % 32] = (tampered[i % 32] ?? 0) ^ 1;
      assert.equal(await noble.verify(nobleAlice.pubKey, message, tampered.buffer), true);
      assert.equal(builtIn.verifySignature(builtInAlice.pubKey, message, tampered.buffer), true);
      assert.equal(await noble.verify(nobleBob.pubKey, message, nobleSignature), true);
    }
  });

test('two parties build a session from a prekey bundle and talk both ways', async () => {
  installNobleCrypto();
  const calls = await countMathRandom(async () => {
    const alice = await createTestParty('alice@hush.test', 1);
    const bob = await createTestParty('bob@hush.test', 2);
    const { aliceToBob, bobToAlice } = await connect(alice, bob);

    const first = await encrypt(aliceToBob, 'hello bob');
    assert.equal(first.type, PREKEY_WHISPER_MESSAGE);
    assert.equal(await decrypt(bobToAlice, first), 'hello bob');

    const reply = await encrypt(bobToAlice, 'hi alice');
    assert.equal(reply.type, WHISPER_MESSAGE);
    assert.equal(await decrypt(aliceToBob, reply), 'hi alice');

    for (const text of ['one', 'two ✓', '']) {
      const message = await encrypt(aliceToBob, text);
      assert.equal(message.type, WHISPER_MESSAGE);
      assert.equal(await decrypt(bobToAlice, message), text);
    }
    // A tampered message is rejected, not decrypted.
    const message = await encrypt(bobToAlice, 'secret');
    assert.ok(message.body !== undefined);
    const last = message.body.length - 1;
    const tampered = {
      ...message,
      body: message.body.slice(0, last) + String.fromCharCode(message.body.charCodeAt(last) ^ 1),
    };
    await assert.rejects(decrypt(aliceToBob, tampered));
  });
  assert.equal(calls, 0, 'the library must take all randomness from the injected source');
});

// Measured with this exact loop: without the fix (the library's own removeOldChains, via
// uninstallSessionRecordFix()) each party's record ends at ~106.7 KB with 1,001 chains; with it,
// 2,837 bytes and 12 chains (10 old receiving chains + the current pair).
const ALTERNATING_MESSAGES = 2000;
const RECORD_BOUND = 20_000;

test('session records stay bounded over 2,000 alternating messages', async () => {
  installNobleCrypto();
  const alice = await createTestParty('alice@hush.test', 1);
  const bob = await createTestParty('bob@hush.test', 2);
  const { aliceToBob, bobToAlice } = await connect(alice, bob);
  for (let i = 0; i < ALTERNATING_MESSAGES; i++) {
    const [sender, receiver] = i % 2 === 0 ? [aliceToBob, bobToAlice] : [bobToAlice, aliceToBob];
    assert.equal(await decrypt(receiver, await encrypt(sender, `message ${i}`)), `message ${i}`);
  }
  for (const size of [
    alice.store.sessionRecord(bob.address)?.length,
    bob.store.sessionRecord(alice.address)?.length,
  ]) {
    assert.ok(size !== undefined && size < RECORD_BOUND, `record is ${size} bytes`);
  }
});
