import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import xml from '@xmpp/xml';
import { gcm } from '@noble/ciphers/aes.js';
import fc from 'fast-check';
import { NS_OMEMO_LEGACY } from './bundle.ts';
import { buildEncrypted, decryptPayload, encryptPayload, parseEncrypted } from './message.ts';
import { capsHash } from '../xmpp/caps.ts';
import { isHushError } from '../errors.ts';
import {
  fingerprintOf,
  formatFingerprint,
  formatVerificationUri,
  normalizeFingerprint,
  parseVerificationUri,
} from './trust.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));

test('a payload round-trips; 12-byte IVs are sent and the key material is key plus tag', () => {
  const { payload, iv, keyMaterial } = encryptPayload('héllo ✓', random);
  assert.equal(iv.length, 12);
  assert.equal(keyMaterial.length, 32);
  assert.equal(decryptPayload(keyMaterial, iv, payload), 'héllo ✓');
  const flipped = payload.slice();
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  assert.throws(() => decryptPayload(keyMaterial, iv, flipped));
  const badTag = keyMaterial.slice();
  badTag[31] = (badTag[31] ?? 0) ^ 1;
  assert.throws(() => decryptPayload(badTag, iv, payload));
});

test('older senders: a 16-byte IV and a 16-byte key with the tag left on the payload decrypt', () => {
  const key = random(16);
  const iv = random(16);
  const sealed = gcm(key, iv).encrypt(new TextEncoder().encode('old style'));
  assert.equal(decryptPayload(key, iv, sealed), 'old style');
  // and the current layout with a 16-byte IV
  const tag = sealed.slice(sealed.length - 16);
  const material = new Uint8Array(32);
  material.set(key);
  material.set(tag, 16);
  assert.equal(decryptPayload(material, iv, sealed.slice(0, sealed.length - 16)), 'old style');
});

test('key material that is not exactly 16 or 32 bytes is refused with a typed error, even when its first 32 bytes fit', () => {
  const { payload, iv, keyMaterial } = encryptPayload('padded', random);
  for (const length of [0, 15, 17, 31, 33, 48, 64]) {
    const material = new Uint8Array(length);
    material.set(keyMaterial.slice(0, Math.min(length, 32)));
    assert.throws(
      () => decryptPayload(material, iv, payload),
      (error) => isHushError(error, 'Undecryptable') && /\d+ bytes/.test(error.message),
      `${length} bytes`,
    );
  }
});

test('the encrypted element round-trips; bad sid, IV or payload is malformed, a bad key is skipped', () => {
  const element = buildEncrypted({
    sid: 42,
    keys: [
      { rid: 7, preKey: true, data: random(40) },
      { rid: 8, preKey: false, data: random(30) },
    ],
    iv: random(12),
    payload: random(10),
  });
  const message = xml('message', {}, element);
  const parsed = parseEncrypted(message);
  assert.ok(parsed && parsed !== 'malformed');
  assert.equal(parsed.sid, 42);
  assert.deepEqual(
    parsed.keys.map((k) => [k.rid, k.preKey]),
    [
      [7, true],
      [8, false],
    ],
  );
  assert.equal(parseEncrypted(xml('message', {}, xml('body', {}, 'plain'))), null);
  const noPayload = parseEncrypted(
    xml('message', {}, buildEncrypted({ sid: 1, keys: [], iv: random(12) })),
  );
  assert.ok(noPayload && noPayload !== 'malformed' && noPayload.payload === undefined);
  const badIv = xml(
    'message',
    {},
    xml(
      'encrypted',
      { xmlns: NS_OMEMO_LEGACY },
      xml('header', { sid: '1' }, xml('iv', {}, 'AAAA')),
    ),
  );
  assert.equal(parseEncrypted(badIv), 'malformed');
  const skipped = xml(
    'message',
    {},
    xml(
      'encrypted',
      { xmlns: NS_OMEMO_LEGACY },
      xml(
        'header',
        { sid: '1' },
        xml('key', { rid: 'x' }, 'AAAA'),
        xml('key', { rid: '5' }, '%%%'),
        xml('key', { rid: '6' }, 'AAAA'),
        xml('iv', {}, Buffer.from(random(12)).toString('base64')),
      ),
    ),
  );
  const result = parseEncrypted(skipped);
  assert.ok(result && result !== 'malformed');
  assert.deepEqual(
    result.keys.map((k) => [k.rid, k.data.length]),
    [
      [5, 0],
      [6, 3],
    ],
  );
});

test('parseEncrypted never throws on arbitrary trees', () => {
  const tree: fc.Arbitrary<ReturnType<typeof xml>> = fc.letrec((tie) => ({
    node: fc
      .tuple(
        fc.constantFrom('encrypted', 'header', 'key', 'iv', 'payload', 'x'),
        fc.dictionary(fc.constantFrom('sid', 'rid', 'prekey', 'xmlns'), fc.string(), {
          maxKeys: 3,
        }),
        fc.array(fc.oneof(fc.string(), tie('node')), { maxLength: 4 }),
      )
      .map(([name, attrs, children]) =>
        xml(
          name,
          { ...attrs, ...(name === 'encrypted' ? { xmlns: NS_OMEMO_LEGACY } : {}) },
          ...(children as never[]),
        ),
      ),
  })).node as fc.Arbitrary<ReturnType<typeof xml>>;
  fc.assert(
    fc.property(tree, (element) => {
      parseEncrypted(xml('message', {}, element));
    }),
    { numRuns: 2000 },
  );
});

test('fingerprints: grouped hex, typed or raw keys, pasted forms', () => {
  const raw = random(32);
  const typed = new Uint8Array(33);
  typed[0] = 5;
  typed.set(raw, 1);
  const fingerprint = fingerprintOf(typed);
  assert.equal(fingerprint, Buffer.from(raw).toString('hex'));
  assert.equal(fingerprintOf(raw), fingerprint);
  assert.equal(formatFingerprint(fingerprint).split(' ').length, 8);
  assert.equal(normalizeFingerprint(formatFingerprint(fingerprint).toUpperCase()), fingerprint);
  assert.equal(normalizeFingerprint(`05${fingerprint}`), fingerprint);
  assert.equal(normalizeFingerprint('xyz'), null);
});

test('verification URIs as Conversations writes them', () => {
  const fp = 'ab'.repeat(32);
  const uri = formatVerificationUri({
    jid: 'alice@example.org',
    devices: [
      { deviceId: 123, fingerprint: fp },
      { deviceId: 456, fingerprint: 'cd'.repeat(32) },
    ],
  });
  assert.equal(uri, `xmpp:alice@example.org?omemo-sid-123=${fp};omemo-sid-456=${'cd'.repeat(32)}`);
  assert.deepEqual(parseVerificationUri(uri), {
    jid: 'alice@example.org',
    devices: [
      { deviceId: 123, fingerprint: fp },
      { deviceId: 456, fingerprint: 'cd'.repeat(32) },
    ],
  });
  assert.equal(parseVerificationUri('https://example.org'), null);
  assert.deepEqual(parseVerificationUri('xmpp:bob@x?omemo-sid-1=zz')?.devices, []);
});

test('XEP-0115 §5.2 example: the caps hash', () => {
  assert.equal(
    capsHash({ category: 'client', type: 'pc', name: 'Exodus 0.9.1' }, [
      'http://jabber.org/protocol/caps',
      'http://jabber.org/protocol/disco#info',
      'http://jabber.org/protocol/disco#items',
      'http://jabber.org/protocol/muc',
    ]),
    'QgayPKawpkPSDYmwT/WM94uAlu0=',
  );
});
