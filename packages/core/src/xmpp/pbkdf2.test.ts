// PBKDF2 through WebCrypto and through noble's fallback give RFC 8018's bytes (checked against
// node:crypto), for both of SCRAM's hashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { pbkdf2, pbkdf2Implementation } from './pbkdf2.ts';

const password = new TextEncoder().encode('pencil ünïcode');
const salt = Uint8Array.from({ length: 16 }, (_, i) => i * 13);

async function bothHashes(): Promise<void> {
  for (const [hash, node, length] of [
    ['SHA-256', 'sha256', 32],
    ['SHA-1', 'sha1', 20],
  ] as const) {
    const expected = new Uint8Array(pbkdf2Sync(password, salt, 4096, length, node));
    assert.deepEqual(await pbkdf2(hash, password, salt, 4096, length), expected, hash);
  }
}

test('WebCrypto deriveBits where the platform has it', async () => {
  assert.equal(pbkdf2Implementation(), 'webcrypto');
  await bothHashes();
});

test('JavaScript PBKDF2 where crypto.subtle is missing (React Native)', async () => {
  const original = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  assert.ok(original);
  Object.defineProperty(globalThis, 'crypto', {
    value: { getRandomValues: globalThis.crypto.getRandomValues.bind(globalThis.crypto) },
    configurable: true,
  });
  try {
    assert.equal(pbkdf2Implementation(), 'javascript');
    await bothHashes();
  } finally {
    Object.defineProperty(globalThis, 'crypto', original);
  }
});
