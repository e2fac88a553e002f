// The interpreter-friendly PBKDF2-HMAC-SHA-256 gives RFC 8018's bytes: RFC 7914's published vectors,
// and node:crypto's output for random passwords (empty, short, a block long, longer than a block),
// salts and iteration counts, including one iteration and counts across a yield.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { pbkdf2Sha256 } from './pbkdf2-sha256.ts';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

test("RFC 7914 §11's PBKDF2-HMAC-SHA256 vector (first 32 bytes)", async () => {
  assert.equal(
    hex(await pbkdf2Sha256(text('passwd'), text('salt'), 1)),
    '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc',
  );
  assert.equal(
    hex(await pbkdf2Sha256(text('Password'), text('NaCl'), 80000)),
    '4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56',
  );
});

test('equal to node:crypto for any password, salt and count', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 150 }),
      fc.uint8Array({ maxLength: 80 }),
      fc.integer({ min: 1, max: 1200 }),
      async (password, salt, iterations) => {
        const expected = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
        assert.equal(hex(await pbkdf2Sha256(password, salt, iterations)), expected.toString('hex'));
      },
    ),
    { numRuns: 60 },
  );
  for (const length of [0, 63, 64, 65, 200]) {
    const password = new Uint8Array(randomBytes(length));
    const salt = new Uint8Array(randomBytes(16));
    const expected = pbkdf2Sync(password, salt, 4096, 32, 'sha256');
    assert.equal(hex(await pbkdf2Sha256(password, salt, 4096)), expected.toString('hex'));
  }
});

test('a count that is not a positive integer is refused', async () => {
  for (const iterations of [0, -1, 1.5, Number.NaN]) {
    await assert.rejects(pbkdf2Sha256(text('p'), text('s'), iterations), RangeError);
  }
});
