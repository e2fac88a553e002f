// OMEMO 2 device list and bundle payloads: round trips, every valid id, bad prekeys dropped, reasons
// for refusals, parsers that never throw, and agreement with an independent implementation (Debian's
// python3-twomemo, whose parser validates against the XEP's schema) both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import fc from 'fast-check';
import xml, { type Element } from '@xmpp/xml';
import parse from '@xmpp/xml/lib/parse.js';
import { MAX_DEVICE_ID, MAX_KEY_ID } from '../omemo/bundle.ts';
import {
  NS_OMEMO2,
  buildBundle,
  buildDeviceList,
  parseBundle,
  parseDeviceList,
  readBundle,
  type Omemo2Bundle,
} from './bundle.ts';

const run = promisify(execFile);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const bytes = (fill: number, length = 32) => new Uint8Array(length).fill(fill);

const sample: Omemo2Bundle = {
  identityKey: bytes(1),
  signedPreKey: { id: 0, publicKey: bytes(2), signature: bytes(3, 64) },
  preKeys: [
    { id: 0, publicKey: bytes(4) },
    { id: MAX_KEY_ID, publicKey: bytes(5) },
  ],
};

function bundleXml(preKeys: [string, string][], parts: { spkId?: string; ik?: string } = {}) {
  return xml(
    'bundle',
    { xmlns: NS_OMEMO2 },
    xml('spk', { id: parts.spkId ?? '1' }, b64(bytes(2))),
    xml('spks', {}, b64(bytes(3, 64))),
    xml('ik', {}, parts.ik ?? b64(bytes(1))),
    xml('prekeys', {}, ...preKeys.map(([id, key]) => xml('pk', { id }, key))),
  );
}

test('OMEMO 2 bundles and device lists survive build -> parse, ids 0 and 2^32-1 included', () => {
  assert.deepEqual(parseBundle(buildBundle(sample)), sample);
  const devices = [{ id: 1 }, { id: MAX_DEVICE_ID, label: 'Phone' }];
  assert.deepEqual(parseDeviceList(buildDeviceList([...devices, { id: 1 }])), devices);
  // Keys of the wrong length, 0x05-typed keys (0.3's form) and bad ids are refused when building.
  assert.throws(() => buildBundle({ ...sample, identityKey: bytes(1, 33) }), { name: 'HushError' });
  assert.throws(() => buildBundle({ ...sample, preKeys: [] }), { name: 'HushError' });
  assert.throws(() => buildBundle({ ...sample, preKeys: [{ id: -1, publicKey: bytes(4) }] }), {
    name: 'HushError',
  });
  assert.throws(() => buildDeviceList([{ id: 0 }]), { name: 'HushError' });
});

test('OMEMO 2: bad prekeys are dropped one by one; what makes a session impossible is refused with its reason', () => {
  const reading = readBundle(
    bundleXml([
      ['0', b64(bytes(4))],
      ['1', b64(bytes(4, 33))],
      ['2', 'not base64!'],
      ['x', b64(bytes(4))],
      ['3', b64(bytes(6))],
      ['3', b64(bytes(7))],
    ]),
  );
  assert.ok(reading.bundle);
  assert.deepEqual(reading.bundle.preKeys, [{ id: 0, publicKey: bytes(4) }]);
  assert.equal('droppedPreKeys' in reading && reading.droppedPreKeys, 5);

  const refusals: [Element, RegExp][] = [
    [xml('bundle', { xmlns: 'eu.siacs.conversations.axolotl' }), /not an OMEMO 2 bundle/],
    [bundleXml([['1', b64(bytes(4))]], { spkId: '-1' }), /signed prekey id/],
    [bundleXml([['1', b64(bytes(4))]], { ik: b64(bytes(1, 33)) }), /identity key/],
    [bundleXml([]), /no one-time prekeys/],
    [bundleXml([['1', b64(bytes(4, 31))]]), /none of its one-time prekeys/],
  ];
  for (const [element, reason] of refusals) {
    const refused = readBundle(element);
    assert.match('problem' in refused ? refused.problem : '', reason);
  }
  // Device lists skip what is not a device id; labels are kept, cut at 200 characters; a label's
  // signature (XEP-0384 0.9 labelsig) is kept with it, and dropped from a cut label it no longer fits.
  const list = xml(
    'devices',
    { xmlns: NS_OMEMO2 },
    ...['0', '2147483648', 'x', '7', '7'].map((id) => xml('device', { id })),
    xml('device', { id: '8', label: 'l'.repeat(300), labelsig: 'c2ln' }),
    xml('device', { id: '9', label: 'Gajim on Debian', labelsig: 'c2lnbmVk' }),
  );
  const parsed = parseDeviceList(list);
  assert.deepEqual(parsed, [
    { id: 7 },
    { id: 8, label: 'l'.repeat(200) },
    { id: 9, label: 'Gajim on Debian', labelsig: 'c2lnbmVk' },
  ]);
  // Written back as read: the signed label with its signature.
  assert.deepEqual(parseDeviceList(buildDeviceList(parsed ?? [])), parsed);
  assert.match(buildDeviceList(parsed ?? []).toString(), /labelsig="c2lnbmVk"/);
  assert.equal(parseDeviceList(xml('list', { xmlns: 'eu.siacs.conversations.axolotl' })), null);
});

test('OMEMO 2 parsers never throw on arbitrary element trees', () => {
  const names = fc.constantFrom(
    'bundle',
    'spk',
    'spks',
    'ik',
    'prekeys',
    'pk',
    'devices',
    'device',
  );
  const values = fc.oneof(
    fc.string(),
    fc.constantFrom('0', '1', '4294967295', '4294967296', '-1', NS_OMEMO2),
    fc.uint8Array({ maxLength: 70 }).map(b64),
  );
  const attrs = fc.dictionary(fc.constantFrom('xmlns', 'id', 'label'), values);
  const tree = fc.letrec<{ element: Element }>((tie) => ({
    element: fc
      .tuple(names, attrs, fc.array(fc.oneof(values, tie('element')), { maxLength: 5 }))
      .map(([name, attributes, children]) => xml(name, attributes, ...children)),
  })).element;
  fc.assert(
    fc.property(tree, (element) => {
      const bundle = parseBundle(element);
      if (bundle) {
        assert.equal(bundle.identityKey.length, 32);
        assert.equal(bundle.signedPreKey.signature.length, 64);
        assert.ok(bundle.preKeys.every((preKey) => preKey.publicKey.length === 32));
      }
      const devices = parseDeviceList(element) ?? [];
      assert.ok(devices.every((device) => device.id >= 1 && device.id <= MAX_DEVICE_ID));
    }),
    { numRuns: 1000 },
  );
});

/** Runs python3-twomemo's own serialiser and parser (Debian's interpreter, see omemo-peer.ts). */
async function twomemo(script: string, input: string): Promise<string> {
  const program = `
import sys, base64, json, xml.etree.ElementTree as ET
import x3dh, twomemo.etree
from twomemo.twomemo import BundleImpl
ET.register_namespace('', 'urn:xmpp:omemo:2')
data = sys.argv[1]
${script}
`;
  const { stdout } = await run('/usr/bin/python3', ['-E', '-s', '-B', '-c', program, input]);
  return stdout.trim();
}

test('python3-twomemo reads what Hush writes, and Hush reads what it writes', async () => {
  const ours: Omemo2Bundle = {
    identityKey: randomBytes(32),
    signedPreKey: { id: 0, publicKey: randomBytes(32), signature: randomBytes(64) },
    preKeys: [
      { id: 0, publicKey: randomBytes(32) },
      { id: 4_000_000_000, publicKey: randomBytes(32) },
    ],
  };
  // Their parser validates the element against the XEP's schema before reading it.
  const theirReading = JSON.parse(
    await twomemo(
      `b = twomemo.etree.parse_bundle(ET.fromstring(data), 'a@localhost', 1)
print(json.dumps({ 'ik': base64.b64encode(b.bundle.identity_key).decode(),
  'spk': b.signed_pre_key_id,
  'pks': sorted(b.pre_key_ids.values()) }))`,
      buildBundle(ours).toString(),
    ),
  ) as { ik: string; spk: number; pks: number[] };
  assert.deepEqual(theirReading, { ik: b64(ours.identityKey), spk: 0, pks: [0, 4_000_000_000] });
  const theirList = await twomemo(
    `print(json.dumps(twomemo.etree.parse_device_list(ET.fromstring(data))))`,
    buildDeviceList([{ id: 5, label: 'Hush on a phone' }, { id: 6 }]).toString(),
  );
  assert.deepEqual(JSON.parse(theirList), { '5': 'Hush on a phone', '6': null });

  const theirs = await twomemo(
    `ik, spk, spks = (base64.b64decode(v) for v in data.split(','))
pks = [bytes([i]) * 32 for i in range(3)]
b = BundleImpl('a@localhost', 1, x3dh.Bundle(ik, spk, spks, frozenset(pks)), 0,
  { pk: i for i, pk in enumerate(pks) })
print(ET.tostring(twomemo.etree.serialize_bundle(b)).decode())`,
    [ours.identityKey, ours.signedPreKey.publicKey, ours.signedPreKey.signature].map(b64).join(','),
  );
  const parsed = parseBundle(parse(theirs));
  assert.ok(parsed, theirs);
  assert.deepEqual(parsed.identityKey, new Uint8Array(ours.identityKey));
  assert.deepEqual(parsed.signedPreKey.id, 0);
  assert.deepEqual(
    [...parsed.preKeys].sort((a, b) => a.id - b.id),
    [0, 1, 2].map((i) => ({ id: i, publicKey: bytes(i) })),
  );
  const list = await twomemo(
    `print(ET.tostring(twomemo.etree.serialize_device_list({ 5: 'Phone', 6: None })).decode())`,
    '',
  );
  assert.deepEqual(parseDeviceList(parse(list)), [{ id: 5, label: 'Phone' }, { id: 6 }]);
});
