// Device list and bundle payloads: round trips, malformed shapes, and parsers that never throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import xml, { type Element } from '@xmpp/xml';
import {
  DEVICE_LIST_NODE,
  MAX_DEVICE_ID,
  MAX_KEY_ID,
  NS_OMEMO_LEGACY,
  buildBundle,
  buildDeviceList,
  parseBundle,
  parseDeviceList,
  readBundle,
  type OmemoBundle,
} from './bundle.ts';
import { decodeBase64Lenient as decodeBase64, encodeBase64 } from '../util/base64.ts';
import { NS_PUBSUB_EVENT, parseDeviceListEvent } from './pep.ts';

function key(fill: number, length = 33): Uint8Array {
  const bytes = new Uint8Array(length).fill(fill);
  if (length === 33) bytes[0] = 0x05;
  return bytes;
}

const sample: OmemoBundle = {
  identityKey: key(1),
  signedPreKey: { id: 7, publicKey: key(2), signature: new Uint8Array(64).fill(3) },
  preKeys: [
    { id: 1, publicKey: key(4) },
    { id: MAX_DEVICE_ID, publicKey: key(5) },
  ],
};

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** A bundle element with the given parts replaced (undefined keeps the sample's, null drops it). */
function bundleXml(
  parts: {
    signedId?: string | null;
    signedKey?: string | null;
    signature?: string | null;
    identity?: string | null;
    preKeys?: [string, string][] | null;
  } = {},
): Element {
  const pick = <T>(value: T | null | undefined, fallback: T) =>
    value === null ? null : (value ?? fallback);
  const signedId = pick(parts.signedId, '7');
  const signedKey = pick(parts.signedKey, b64(key(2)));
  const signature = pick(parts.signature, b64(new Uint8Array(64).fill(3)));
  const identity = pick(parts.identity, b64(key(1)));
  const preKeys = pick(parts.preKeys, [['1', b64(key(4))]]);
  return xml(
    'bundle',
    { xmlns: NS_OMEMO_LEGACY },
    signedKey !== null &&
      xml('signedPreKeyPublic', signedId === null ? {} : { signedPreKeyId: signedId }, signedKey),
    signature !== null && xml('signedPreKeySignature', {}, signature),
    identity !== null && xml('identityKey', {}, identity),
    preKeys !== null &&
      xml(
        'prekeys',
        {},
        ...preKeys.map(([id, value]) => xml('preKeyPublic', { preKeyId: id }, value)),
      ),
  );
}

test('base64 agrees with Buffer both ways, and rejects what is not base64', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      const text = encodeBase64(bytes);
      assert.equal(text, b64(bytes));
      assert.deepEqual(decodeBase64(text), bytes);
      assert.deepEqual(decodeBase64(text.replace(/=+$/, '')), bytes);
    }),
  );
  assert.deepEqual(decodeBase64('aGVs\nbG8='), new TextEncoder().encode('hello'));
  for (const bad of ['a', 'ab=c', 'ab$=', 'abc==', '====', 'aGVsbG9=', 'aGVsbG8=x', '-_8=']) {
    assert.equal(decodeBase64(bad), null, bad);
  }
});

test('a bundle survives build -> parse; 32-byte keys gain the 0x05 type byte', () => {
  assert.deepEqual(parseBundle(buildBundle(sample)), sample);
  const raw = buildBundle({ ...sample, identityKey: key(1, 32).fill(1) });
  assert.deepEqual(parseBundle(raw)?.identityKey, key(1));
  assert.deepEqual(parseBundle(bundleXml()), { ...sample, preKeys: [sample.preKeys[0]] });
  // A 32-byte key on the wire (some clients drop the type byte) is accepted too.
  assert.deepEqual(
    parseBundle(bundleXml({ identity: b64(key(1, 32).fill(1)) }))?.identityKey,
    key(1),
  );
});

test('builders refuse invalid local values with a HushError', () => {
  assert.throws(() => buildDeviceList([0]), { name: 'HushError' });
  assert.throws(() => buildDeviceList([MAX_DEVICE_ID + 1]), { name: 'HushError' });
  assert.throws(() => buildBundle({ ...sample, preKeys: [] }), { name: 'HushError' });
  assert.throws(() => buildBundle({ ...sample, identityKey: new Uint8Array(31) }), {
    name: 'HushError',
  });
  assert.throws(() => buildBundle({ ...sample, preKeys: [...sample.preKeys, ...sample.preKeys] }), {
    name: 'HushError',
  });
});

test('every valid id is accepted: signed prekey and prekey ids 0..2^32-1, as xs:unsignedInt writes them', () => {
  // Converse.js 14 publishes signedPreKeyId='0'; libsignal's wire format carries both as uint32.
  const zero = parseBundle(bundleXml({ signedId: '0', preKeys: [['0', b64(key(4))]] }));
  assert.equal(zero?.signedPreKey.id, 0);
  assert.deepEqual(zero?.preKeys, [{ id: 0, publicKey: key(4) }]);
  const top = parseBundle(
    bundleXml({ signedId: String(MAX_KEY_ID), preKeys: [[String(MAX_KEY_ID), b64(key(4))]] }),
  );
  assert.equal(top?.signedPreKey.id, MAX_KEY_ID);
  assert.equal(top?.preKeys[0]?.id, MAX_KEY_ID);
  for (const [text, id] of [
    ['2147483648', 2 ** 31],
    [' 7\n', 7],
    ['+7', 7],
    ['0007', 7],
    ['00000000000000000042', 42],
  ] as const) {
    assert.equal(parseBundle(bundleXml({ signedId: text }))?.signedPreKey.id, id, text);
    assert.equal(parseBundle(bundleXml({ preKeys: [[text, b64(key(4))]] }))?.preKeys[0]?.id, id);
  }
  // Keys and signature may be wrapped over lines and lack padding.
  const wrapped = b64(key(2))
    .replace(/=+$/, '')
    .replace(/(.{20})/g, '$1\n  ');
  assert.deepEqual(parseBundle(bundleXml({ signedKey: wrapped }))?.signedPreKey.publicKey, key(2));
  // A bundle with ids 0 survives build -> parse.
  const withZero: OmemoBundle = {
    ...sample,
    signedPreKey: { ...sample.signedPreKey, id: 0 },
    preKeys: [{ id: 0, publicKey: key(4) }, ...sample.preKeys],
  };
  assert.deepEqual(parseBundle(buildBundle(withZero)), withZero);
});

test('a bad one-time prekey is dropped, the others kept', () => {
  const good = b64(key(4));
  const reading = readBundle(
    bundleXml({
      preKeys: [
        ['1', good],
        ['x', b64(key(5))],
        ['-1', b64(key(5))],
        ['4294967296', b64(key(5))],
        ['1e3', b64(key(5))],
        ['', b64(key(5))],
        ['2', 'not*base64'],
        ['3', b64(new Uint8Array(31))],
        ['4', b64(new Uint8Array(33))],
        // Both keys under one id: either could be the one its owner kept, so neither is used.
        ['5', b64(key(6))],
        ['5', b64(key(7))],
        ['0', b64(key(8))],
      ],
    }),
  );
  assert.ok(reading.bundle, 'the bundle is kept');
  assert.deepEqual(reading.bundle.preKeys, [
    { id: 1, publicKey: key(4) },
    { id: 0, publicKey: key(8) },
  ]);
  assert.equal('droppedPreKeys' in reading && reading.droppedPreKeys, 10);
});

test('what makes a session impossible refuses the bundle, with the reason', () => {
  const cases: Record<string, [Element, RegExp]> = {
    'wrong namespace': [xml('bundle', { xmlns: 'urn:xmpp:omemo:2' }), /not an OMEMO 0.3 bundle/],
    'wrong element': [xml('list', { xmlns: NS_OMEMO_LEGACY }), /not an OMEMO 0.3 bundle/],
    'no signed prekey': [bundleXml({ signedKey: null }), /no signed prekey/],
    'no signed prekey id': [bundleXml({ signedId: null }), /signed prekey id/],
    'signed prekey id 2^32': [bundleXml({ signedId: String(2 ** 32) }), /signed prekey id/],
    'signed prekey id negative': [bundleXml({ signedId: '-1' }), /signed prekey id/],
    'signed prekey id with exponent': [bundleXml({ signedId: '1e3' }), /signed prekey id/],
    'signed prekey id empty': [bundleXml({ signedId: '' }), /signed prekey id/],
    'signed prekey not base64': [bundleXml({ signedKey: 'a$b' }), /signed prekey is not/],
    'signed prekey 31 bytes': [
      bundleXml({ signedKey: b64(new Uint8Array(31)) }),
      /signed prekey is not/,
    ],
    'no signature': [bundleXml({ signature: null }), /signature/],
    'short signature': [bundleXml({ signature: b64(new Uint8Array(63)) }), /signature/],
    'no identity key': [bundleXml({ identity: null }), /identity key/],
    'identity key not base64': [bundleXml({ identity: '!!!' }), /identity key/],
    'identity key 33 bytes without 0x05': [
      bundleXml({ identity: b64(new Uint8Array(33)) }),
      /identity key/,
    ],
    'identity key 31 bytes': [bundleXml({ identity: b64(new Uint8Array(31)) }), /identity key/],
    'no prekeys element': [bundleXml({ preKeys: null }), /no one-time prekeys/],
    'empty prekeys': [bundleXml({ preKeys: [] }), /no one-time prekeys/],
    'only bad prekeys': [
      bundleXml({
        preKeys: [
          ['4294967296', b64(key(4))],
          ['2', 'not*base64'],
        ],
      }),
      /none of its one-time prekeys/,
    ],
  };
  for (const [name, [element, reason]] of Object.entries(cases)) {
    assert.equal(parseBundle(element), null, name);
    const reading = readBundle(element);
    assert.match('problem' in reading ? reading.problem : '', reason, name);
  }
});

test('device lists: invalid and repeated entries are skipped, other elements are not lists', () => {
  assert.deepEqual(parseDeviceList(buildDeviceList([3, 1, 3, MAX_DEVICE_ID])), [
    3,
    1,
    MAX_DEVICE_ID,
  ]);
  const mixed = xml(
    'list',
    { xmlns: NS_OMEMO_LEGACY },
    ...['5', '0', '-4', 'x', '2147483648', ' 6 ', '5', '07', '+8', '1e3', ''].map((id) =>
      xml('device', { id }),
    ),
    xml('device', {}),
  );
  assert.deepEqual(parseDeviceList(mixed), [5, 6, 7, 8]);
  assert.deepEqual(parseDeviceList(xml('list', { xmlns: NS_OMEMO_LEGACY })), []);
  assert.equal(parseDeviceList(xml('list', { xmlns: 'urn:xmpp:omemo:2' })), null);
  assert.equal(parseDeviceList(xml('devices', { xmlns: NS_OMEMO_LEGACY })), null);
});

test('device list notifications are believed only from a bare JID', () => {
  const event = (from: string | undefined) =>
    xml(
      'message',
      { from },
      xml(
        'event',
        { xmlns: NS_PUBSUB_EVENT },
        xml(
          'items',
          { node: DEVICE_LIST_NODE },
          xml('item', { id: 'current' }, buildDeviceList([9])),
        ),
      ),
    );
  assert.deepEqual(parseDeviceListEvent(event('Bob@localhost'), 'alice@localhost/x'), {
    jid: 'bob@localhost',
    deviceIds: [9],
  });
  assert.deepEqual(parseDeviceListEvent(event(undefined), 'alice@localhost/x'), {
    jid: 'alice@localhost',
    deviceIds: [9],
  });
  assert.equal(parseDeviceListEvent(event('bob@localhost/phone'), 'alice@localhost/x'), null);
});

// Arbitrary element trees made of the names, attributes and texts the parsers look for.
const names = fc.constantFrom(
  'bundle',
  'list',
  'device',
  'signedPreKeyPublic',
  'signedPreKeySignature',
  'identityKey',
  'prekeys',
  'preKeyPublic',
  'message',
  'event',
  'items',
  'item',
  'x',
);
const values = fc.oneof(
  fc.string(),
  fc.constantFrom('1', '0', '2147483647', '2147483648', '-1', 'current', DEVICE_LIST_NODE),
  fc.constantFrom(NS_OMEMO_LEGACY, NS_PUBSUB_EVENT),
  fc.uint8Array({ maxLength: 70 }).map(b64),
);
const attrs = fc.dictionary(
  fc.constantFrom('xmlns', 'id', 'preKeyId', 'signedPreKeyId', 'node', 'from'),
  values,
);
const tree = fc.letrec<{ element: Element }>((tie) => ({
  element: fc
    .tuple(names, attrs, fc.array(fc.oneof(values, tie('element')), { maxLength: 5 }))
    .map(([name, attributes, children]) => xml(name, attributes, ...children)),
})).element;

test('parsers never throw on arbitrary element trees', () => {
  fc.assert(
    fc.property(tree, (element) => {
      // Whatever comes back is either null or fully valid.
      const bundle = parseBundle(element);
      if (bundle) {
        const keys = [bundle.identityKey, bundle.signedPreKey.publicKey];
        keys.push(...bundle.preKeys.map((preKey) => preKey.publicKey));
        assert.ok(keys.every((k) => k.length === 33 && k[0] === 0x05));
        assert.equal(bundle.signedPreKey.signature.length, 64);
        assert.ok(bundle.preKeys.length > 0);
        const keyIds = [bundle.signedPreKey.id, ...bundle.preKeys.map((preKey) => preKey.id)];
        assert.ok(keyIds.every((id) => Number.isInteger(id) && id >= 0 && id <= MAX_KEY_ID));
        assert.equal(
          new Set(bundle.preKeys.map((preKey) => preKey.id)).size,
          bundle.preKeys.length,
        );
      }
      const ids = [
        ...(parseDeviceList(element) ?? []),
        ...(parseDeviceListEvent(element, 'alice@localhost/x')?.deviceIds ?? []),
      ];
      assert.ok(ids.every((id) => Number.isInteger(id) && id >= 1 && id <= MAX_DEVICE_ID));
    }),
    { numRuns: 2000 },
  );
  fc.assert(fc.property(fc.string(), (text) => void decodeBase64(text)));
});
