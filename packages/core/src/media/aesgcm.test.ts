import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { isHushError } from '../errors.ts';
import { decryptFile, encryptFile, formatAesgcmUrl, parseAesgcmUrl } from './aesgcm.ts';

const random = (length: number) => new Uint8Array(randomBytes(length));

test('round trip: ciphertext carries the 16-byte tag, 32-byte key, 12-byte IV, fresh each time', () => {
  for (const size of [0, 1, 15, 16, 17, 1000, 65_537]) {
    const plain = random(size);
    const first = encryptFile(plain);
    const second = encryptFile(plain);
    assert.equal(first.ciphertext.length, size + 16);
    assert.equal(first.key.length, 32);
    assert.equal(first.iv.length, 12);
    assert.notDeepEqual(first.key, second.key);
    assert.notDeepEqual(first.iv, second.iv);
    assert.deepEqual(decryptFile(first.ciphertext, first.key, first.iv), plain);
  }
});

test('interoperates with node:crypto and accepts the 16-byte IVs older clients send', () => {
  const plain = random(5000);
  const key = random(32);
  for (const iv of [random(12), random(16)]) {
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    assert.deepEqual(decryptFile(new Uint8Array(ciphertext), key, iv), plain);
  }
});

test('any changed byte, a wrong key or a truncated file is an IntegrityError', () => {
  const plain = random(300);
  const { ciphertext, key, iv } = encryptFile(plain);
  for (const index of [0, 150, ciphertext.length - 17, ciphertext.length - 1]) {
    const tampered = ciphertext.slice();
    tampered[index] = (tampered[index] ?? 0) ^ 0x01;
    assert.throws(
      () => decryptFile(tampered, key, iv),
      (e) => isHushError(e, 'IntegrityError'),
    );
  }
  const wrongKey = key.slice();
  wrongKey[0] = (wrongKey[0] ?? 0) ^ 0x80;
  assert.throws(
    () => decryptFile(ciphertext, wrongKey, iv),
    (e) => isHushError(e, 'IntegrityError'),
  );
  assert.throws(
    () => decryptFile(ciphertext.subarray(0, 15), key, iv),
    (e) => isHushError(e, 'IntegrityError'),
  );
  assert.throws(
    () => decryptFile(ciphertext.subarray(0, ciphertext.length - 1), key, iv),
    (e) => isHushError(e, 'IntegrityError'),
  );
  assert.throws(
    () => decryptFile(ciphertext, key, random(8)),
    (e) => isHushError(e, 'UnsupportedContent'),
  );
});

test('fails closed without a usable random source', () => {
  const plain = random(10);
  assert.throws(
    () => encryptFile(plain, (length) => new Uint8Array(length)),
    (e) => isHushError(e, 'ProtocolError'),
  );
  assert.throws(
    () => encryptFile(plain, () => new Uint8Array(3).fill(7)),
    (e) => isHushError(e, 'ProtocolError'),
  );
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true });
  try {
    assert.throws(
      () => encryptFile(plain),
      (e) => isHushError(e, 'ProtocolError'),
    );
  } finally {
    if (saved) Object.defineProperty(globalThis, 'crypto', saved);
  }
  assert.equal(encryptFile(plain).key.length, 32);
});

test('aesgcm:// links: format, parse, 12- and 16-byte IVs, upper-case hex', () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  const iv = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);
  const url = 'https://upload.example.org:5281/file_share/abc-123/voice%20note.m4a';
  const link = formatAesgcmUrl(url, key, iv);
  assert.equal(
    link,
    'aesgcm://upload.example.org:5281/file_share/abc-123/voice%20note.m4a#a0a1a2a3a4a5a6a7a8a9aaab' +
      '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
  );
  assert.deepEqual(parseAesgcmUrl(link), { url, key, iv });
  assert.deepEqual(parseAesgcmUrl(link.toUpperCase().replace('AESGCM://', 'aesgcm://')).key, key);
  const iv16 = random(16);
  const link16 = formatAesgcmUrl('https://h/p', key, iv16);
  assert.deepEqual(parseAesgcmUrl(link16), { url: 'https://h/p', key, iv: iv16 });
  // Query strings survive; surrounding whitespace from a message body is ignored.
  assert.equal(
    parseAesgcmUrl(` ${formatAesgcmUrl('https://h/p?x=1', key, iv)}\n`).url,
    'https://h/p?x=1',
  );
});

test('malformed links and inputs are UnsupportedContent errors, never crashes', () => {
  const hex = `${'ab'.repeat(12)}${'cd'.repeat(32)}`;
  const bad = [
    '',
    'aesgcm://',
    `aesgcm://#${hex}`,
    'aesgcm://host/path',
    'aesgcm://host/path#',
    `aesgcm://host/path#${hex}0`,
    `aesgcm://host/path#${hex.slice(2)}`,
    `aesgcm://host/path#${'ab'.repeat(14)}${'cd'.repeat(32)}`,
    `aesgcm://host/path#${hex.replace('a', 'g')}`,
    `https://host/path#${hex}`,
    `aesgcm://host/pa th#${hex}`,
    `aesgcm://host/path\r\nX: y#${hex}`,
    `aesgcm:host/path#${hex}`,
  ];
  for (const link of bad) {
    assert.throws(
      () => parseAesgcmUrl(link),
      (e) => isHushError(e, 'UnsupportedContent'),
      link,
    );
  }
  assert.throws(
    () => parseAesgcmUrl(42 as unknown as string),
    (e) => isHushError(e, 'UnsupportedContent'),
  );
  const key = random(32);
  const iv = random(12);
  for (const url of ['http://h/p', 'https://h/p#frag', 'ftp://h/p', 'https://', 'https://h/a b']) {
    assert.throws(
      () => formatAesgcmUrl(url, key, iv),
      (e) => isHushError(e, 'UnsupportedContent'),
    );
  }
  assert.throws(
    () => formatAesgcmUrl('https://h/p', random(16), iv),
    (e) => isHushError(e, 'UnsupportedContent'),
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (text) => {
      for (const link of [text, `aesgcm://${text}`, `aesgcm://h/${text}#${text}`]) {
        try {
          parseAesgcmUrl(link);
        } catch (error) {
          if (!isHushError(error, 'UnsupportedContent')) throw error;
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('the platform (WebCrypto) path and the noble path are interchangeable both ways', async () => {
  const { encryptFileAsync, decryptFileAsync } = await import('./aesgcm.ts');
  const data = new Uint8Array(100_000).map((_, i) => i * 7);
  const viaPlatform = await encryptFileAsync(data);
  assert.deepEqual(decryptFile(viaPlatform.ciphertext, viaPlatform.key, viaPlatform.iv), data);
  const viaNoble = encryptFile(data);
  assert.deepEqual(await decryptFileAsync(viaNoble.ciphertext, viaNoble.key, viaNoble.iv), data);
  const broken = viaNoble.ciphertext.slice();
  broken[10] = (broken[10] ?? 0) ^ 1;
  await assert.rejects(decryptFileAsync(broken, viaNoble.key, viaNoble.iv), {
    code: 'IntegrityError',
  });
});

test("a platform's native AES-GCM (React Native: expo-crypto) carries files where there is no WebCrypto", async (t) => {
  const { encryptFileAsync, decryptFileAsync, installNativeAesGcm } = await import('./aesgcm.ts');
  // React Native has crypto.getRandomValues (expo-crypto) and no crypto.subtle: the same here.
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  assert.ok(descriptor?.configurable, 'this Node lets a test replace globalThis.crypto');
  const getRandomValues = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
  Object.defineProperty(globalThis, 'crypto', { value: { getRandomValues }, configurable: true });
  const calls: string[] = [];
  // An independent AES-GCM (OpenSSL through node:crypto) in the shape expo-crypto's adapter gives.
  installNativeAesGcm({
    encrypt: async (key, iv, plaintext) => {
      calls.push('encrypt');
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      return new Uint8Array(
        Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]),
      );
    },
    decrypt: async (key, iv, sealed) => {
      calls.push('decrypt');
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      return new Uint8Array(
        Buffer.concat([decipher.update(sealed.subarray(0, -16)), decipher.final()]),
      );
    },
  });
  t.after(() => {
    installNativeAesGcm(undefined);
    if (descriptor) Object.defineProperty(globalThis, 'crypto', descriptor);
  });
  const data = new Uint8Array(100_000).map((_, i) => i * 13);
  const sealed = await encryptFileAsync(data);
  assert.deepEqual(calls, ['encrypt']);
  assert.deepEqual(decryptFile(sealed.ciphertext, sealed.key, sealed.iv), data, 'noble reads it');
  const viaNoble = encryptFile(data);
  assert.deepEqual(await decryptFileAsync(viaNoble.ciphertext, viaNoble.key, viaNoble.iv), data);
  assert.deepEqual(calls, ['encrypt', 'decrypt']);
  const broken = viaNoble.ciphertext.slice();
  broken[5] = (broken[5] ?? 0) ^ 1;
  await assert.rejects(decryptFileAsync(broken, viaNoble.key, viaNoble.iv), {
    code: 'IntegrityError',
  });
  // A 16-byte IV (older clients) stays on the JavaScript path.
  const key = new Uint8Array(randomBytes(32));
  const iv16 = new Uint8Array(randomBytes(16));
  const cipher = createCipheriv('aes-256-gcm', key, iv16);
  const old = new Uint8Array(
    Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]),
  );
  calls.length = 0;
  assert.deepEqual(await decryptFileAsync(old, key, iv16), data);
  assert.deepEqual(calls, []);
});
