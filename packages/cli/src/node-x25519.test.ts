// node:crypto's X25519 as core's native X25519: RFC 7748's answers, the same keys and secrets as
// @noble for random keys, small-order keys refused through core's backend, and a backend that uses it
// once installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { createCurveBackend, installNativeX25519 } from '@hush/core';
import { nodeX25519 } from './node-x25519.ts';

const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));

test("RFC 7748 §6.1's keys and shared secret", () => {
  const alice = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  assert.deepEqual(
    nodeX25519.publicKey(alice),
    hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'),
  );
  assert.deepEqual(
    nodeX25519.agree(
      alice,
      hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'),
    ),
    hex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'),
  );
});

test('the same public keys and secrets as @noble, for random keys', () => {
  for (let i = 0; i < 50; i++) {
    const [a, b] = [new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(32))];
    assert.deepEqual(nodeX25519.publicKey(a), x25519.getPublicKey(a));
    assert.deepEqual(
      nodeX25519.agree(a, x25519.getPublicKey(b)),
      x25519.getSharedSecret(a, x25519.getPublicKey(b)),
    );
  }
});

test('installed, the default backend uses it and refuses small-order keys; a wrong one is not used', async (t) => {
  t.after(() => installNativeX25519(undefined));
  let calls = 0;
  installNativeX25519({
    publicKey: (key) => (calls++, nodeX25519.publicKey(key)),
    agree: (key, pub) => (calls++, nodeX25519.agree(key, pub)),
  });
  const backend = await createCurveBackend();
  const before = calls;
  const a = await backend.keyPair(new Uint8Array(randomBytes(32)));
  const b = await backend.keyPair(new Uint8Array(randomBytes(32)));
  assert.deepEqual(
    await backend.agree(a.privateKey, b.publicKey),
    await backend.agree(b.privateKey, a.publicKey),
  );
  assert.ok(calls > before, 'the native X25519 did the work');
  // The point of order 8 (RFC 7748 §7's list): an all-zero secret.
  const small = hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800');
  await assert.rejects(backend.agree(a.privateKey, small));
  installNativeX25519({
    publicKey: () => new Uint8Array(32),
    agree: () => new Uint8Array(32).fill(1),
  });
  await assert.rejects(createCurveBackend('native'), /No working native X25519/);
  const fallback = await createCurveBackend();
  const c = await fallback.keyPair(new Uint8Array(randomBytes(32)));
  assert.deepEqual(c.publicKey, x25519.getPublicKey(c.privateKey));
});
