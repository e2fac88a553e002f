// XEP-0420 envelopes as OMEMO 2 carries them: what Hush writes reads back; what it refuses, it
// refuses with an EnvelopeError (code Undecryptable) naming the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import xml from '@xmpp/xml';
import { EnvelopeError, MAX_RPAD, buildEnvelope, readEnvelope } from './envelope.ts';

const random = (length: number) => new Uint8Array(randomBytes(length));
const text = (value: string) => new TextEncoder().encode(value);
const envelope = (inner: string) =>
  text(
    `<envelope xmlns='urn:xmpp:sce:1'><content><body xmlns='jabber:client'>hi</body></content>${inner}</envelope>`,
  );

test('an envelope Hush writes reads back: body, other content, sender, time; padding varies', () => {
  const now = Date.UTC(2026, 11, 7, 12, 0, 0);
  const lengths = new Set<number>();
  for (let i = 0; i < 20; i++) {
    const bytes = buildEnvelope(
      { body: 'héllo <&> ✓', elements: [xml('file-sharing', { xmlns: 'urn:xmpp:sfs:0' })] },
      'alice@example.org/phone',
      now,
      random,
    );
    lengths.add(bytes.length);
    const read = readEnvelope(bytes, 'Alice@example.org/laptop');
    assert.equal(read.body, 'héllo <&> ✓');
    assert.equal(read.from, 'alice@example.org');
    assert.equal(read.time, now);
    assert.deepEqual(
      read.elements.map((e) => e.name),
      ['file-sharing'],
    );
  }
  assert.ok(lengths.size > 1, 'the padding hides the length');
});

test('refused envelopes: each an EnvelopeError with its reason, never a body', () => {
  const cases: [Uint8Array, EnvelopeError['reason'], RegExp][] = [
    [text('not <xml'), 'Malformed', /not XML/],
    [new Uint8Array([0xff, 0xfe, 0x3c]), 'Malformed', /not XML/],
    [text("<envelope xmlns='urn:xmpp:sce:0'/>"), 'Malformed', /not an SCE envelope/],
    [
      text("<envelope xmlns='urn:xmpp:sce:1'><rpad/><from jid='a@b'/></envelope>"),
      'Malformed',
      /<content\/>/,
    ],
    [envelope("<from jid='a@b'/>"), 'BadPadding', /no single <rpad\/>/],
    [envelope("<rpad/><rpad/><from jid='a@b'/>"), 'BadPadding', /no single <rpad\/>/],
    [envelope("<rpad><b/></rpad><from jid='a@b'/>"), 'BadPadding', /holds elements/],
    [envelope('<rpad>x</rpad>'), 'WrongSender', /does not name its sender/],
    [envelope("<rpad>x</rpad><from jid='a@b'/><from jid='a@b'/>"), 'WrongSender', /does not name/],
    [envelope("<rpad>x</rpad><from jid='mallory@b'/>"), 'WrongSender', /says it is from mallory@b/],
  ];
  for (const [bytes, reason, message] of cases) {
    assert.throws(
      () => readEnvelope(bytes, 'a@b/res'),
      (error: unknown) =>
        error instanceof EnvelopeError &&
        error.code === 'Undecryptable' &&
        error.reason === reason &&
        message.test(error.message),
      new TextDecoder().decode(bytes),
    );
  }
  // Padding longer than Hush writes is read (XEP-0420 0.5.0: it must not be refused), and an empty
  // one is fine.
  assert.equal(
    readEnvelope(envelope(`<rpad>${'x'.repeat(MAX_RPAD * 10)}</rpad><from jid='a@b'/>`), 'a@b')
      .body,
    'hi',
  );
  assert.equal(readEnvelope(envelope("<rpad/><from jid='A@B/x'/>"), 'a@b').body, 'hi');
});
