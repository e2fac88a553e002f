import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from '@xmpp/xml/lib/parse.js';
import { parseIncoming } from './parse.ts';
import { buildChatMessage, buildDisplayed, buildReceipt } from './build.ts';

const ME = 'alice@example.org';
const at = (text: string) => parse(text);

test('a live chat message with origin-id, trusted stanza-id, receipt request and marker', () => {
  const parsed = parseIncoming(
    at(`<message xmlns='jabber:client' from='Bob@example.org/phone' to='alice@example.org/web' type='chat' id='m1'>
      <body>hi</body><origin-id xmlns='urn:xmpp:sid:0' id='o1'/>
      <stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='bob@example.org'/>
      <stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='alice@example.org'/>
      <request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/>
      <active xmlns='http://jabber.org/protocol/chatstates'/></message>`),
    `${ME}/web`,
  );
  assert.ok(parsed?.kind === 'chat');
  assert.equal(parsed.direction, 'in');
  assert.equal(parsed.peer, 'bob@example.org');
  assert.equal(parsed.body, 'hi');
  assert.equal(parsed.originId, 'o1');
  assert.equal(parsed.stanzaId, 's1', 'only the stanza-id stamped by our own server counts');
  assert.equal(parsed.requestsReceipt, true);
  assert.equal(parsed.markable, true);
  assert.equal(parsed.chatState, 'active');
  assert.equal(parsed.source, 'live');
});

test('carbons: sent copies are outgoing to the peer; carbons from others are ignored', () => {
  const sent = parseIncoming(
    at(`<message xmlns='jabber:client' from='alice@example.org' to='alice@example.org/web' type='chat'>
      <sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>
      <message xmlns='jabber:client' from='alice@example.org/phone' to='bob@example.org' type='chat' id='x'><body>from my phone</body></message>
      </forwarded></sent></message>`),
    ME,
  );
  assert.ok(sent?.kind === 'chat');
  assert.equal(sent.direction, 'out');
  assert.equal(sent.peer, 'bob@example.org');
  assert.equal(sent.source, 'carbon');

  const forged =
    at(`<message xmlns='jabber:client' from='mallory@evil.example' to='alice@example.org/web' type='chat'>
      <received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>
      <message xmlns='jabber:client' from='bob@example.org/x' to='alice@example.org' type='chat'><body>fake</body></message>
      </forwarded></received></message>`);
  assert.equal(parseIncoming(forged, ME), null);
});

test('archive results carry the archive id and timestamp; foreign archives are ignored', () => {
  const result = `<message xmlns='jabber:client' from='FROM' to='alice@example.org/web'>
      <result xmlns='urn:xmpp:mam:2' queryid='q' id='arch-7'><forwarded xmlns='urn:xmpp:forward:0'>
      <delay xmlns='urn:xmpp:delay' stamp='2026-01-02T03:04:05Z'/>
      <message xmlns='jabber:client' from='bob@example.org/x' to='alice@example.org' type='chat'><body>old</body></message>
      </forwarded></result></message>`;
  const parsed = parseIncoming(at(result.replace('FROM', 'alice@example.org')), ME);
  assert.ok(parsed?.kind === 'chat');
  assert.equal(parsed.source, 'archive');
  assert.equal(parsed.stanzaId, 'arch-7');
  assert.equal(parsed.timestamp, Date.parse('2026-01-02T03:04:05Z'));
  assert.equal(parseIncoming(at(result.replace('FROM', 'bob@example.org')), ME), null);
});

test('receipts, displayed markers, chat states and errors', () => {
  const receipt = buildReceipt('alice@example.org', 'm1');
  receipt.attrs.from = 'bob@example.org/phone';
  assert.deepEqual(parseIncoming(receipt, ME), {
    kind: 'receipt',
    peer: 'bob@example.org',
    id: 'm1',
    source: 'live',
    direction: 'in',
  });
  const displayed = buildDisplayed('alice@example.org', 'm2');
  displayed.attrs.from = 'bob@example.org/phone';
  assert.deepEqual(parseIncoming(displayed, ME), {
    kind: 'displayed',
    peer: 'bob@example.org',
    id: 'm2',
    source: 'live',
    direction: 'in',
  });
  // The same marker sent by another device of this account, copied here as a carbon.
  const sent = buildDisplayed('bob@example.org', 'm3');
  sent.attrs.from = 'alice@example.org/laptop';
  const carbon = at(
    `<message from='alice@example.org' to='alice@example.org/phone'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>${sent.toString()}</forwarded></sent></message>`,
  );
  assert.deepEqual(parseIncoming(carbon, ME), {
    kind: 'displayed',
    peer: 'bob@example.org',
    id: 'm3',
    source: 'carbon',
    direction: 'out',
  });
  assert.deepEqual(
    parseIncoming(
      at(
        `<message from='bob@example.org/p' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`,
      ),
      ME,
    ),
    { kind: 'chat-state', peer: 'bob@example.org', state: 'composing' },
  );
  assert.deepEqual(
    parseIncoming(
      at(
        `<message from='bob@example.org' type='error' id='m3'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`,
      ),
      ME,
    ),
    { kind: 'error', peer: 'bob@example.org', id: 'm3', condition: 'service-unavailable' },
  );
});

test('what we build parses back as the same message', () => {
  const stanza = buildChatMessage({
    to: 'bob@example.org',
    id: 'abc',
    body: 'round <trip> & back',
  });
  stanza.attrs.from = 'alice@example.org/web';
  const reparsed = parseIncoming(parse(stanza.toString()), 'bob@example.org');
  assert.ok(reparsed?.kind === 'chat');
  assert.equal(reparsed.body, 'round <trip> & back');
  assert.equal(reparsed.originId, 'abc');
  assert.equal(reparsed.peer, 'alice@example.org');
});

test('junk and hostile shapes yield null, never a throw', () => {
  for (const text of [
    `<iq type='get'/>`,
    `<message/>`,
    `<message from='alice@example.org/other' to='alice@example.org'><body>note to self</body></message>`,
    `<message from='x@y' type='groupchat'><body>muc</body></message>`,
    `<message from='alice@example.org'><sent xmlns='urn:xmpp:carbons:2'/></message>`,
    `<message from='alice@example.org'><result xmlns='urn:xmpp:mam:2'><forwarded xmlns='urn:xmpp:forward:0'/></result></message>`,
    `<message from='bob@example.org'><received xmlns='urn:xmpp:receipts'/></message>`,
  ]) {
    assert.equal(parseIncoming(at(text), ME), null, text);
  }
});
