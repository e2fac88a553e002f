// OMEMO 2 with an independent implementation: a peer on Debian's python-omemo with the twomemo
// backend alone (packages/test-utils/python/twomemo_peer.py), against a real Prosody. Hush publishes
// both versions and must choose OMEMO 2 for an account that publishes only that; the first message
// each way builds the session (Hush writes first to one peer, the other peer writes first to Hush).
// What the peer sends in its XEP-0420 envelope is checked as it arrives: a malformed envelope, bad
// padding or a <from/> naming someone else is shown as an Undecryptable error, never dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageWithBody, serverSuite, testPeers, until } from '@hush/test-utils';
import { recordSent, testClients } from '@hush/test-utils/sessions';
import type { Element } from '@xmpp/xml';

import type { Storage } from '../storage/types.ts';
import type { HushClient } from '../client.ts';
import { NS_OMEMO_LEGACY } from '../omemo/bundle.ts';
import { NS_OMEMO2 } from './bundle.ts';

const PASSWORD = 'twomemo-password';
const clients = testClients(() => suite.server);

const suite = serverSuite({
  accounts: ['hush', 'hush2', 'hush3', 'two1', 'two2', 'two3', 'two4'],
  password: PASSWORD,
  scratch: 'hush-twomemo-',
  closeFirst: async () => {
    await clients.closeAll();
    await peers.stopAll();
  },
});
const peers = testPeers(suite, PASSWORD, 'twomemo');

async function hush(
  name: string,
): Promise<{ client: HushClient; storage: Storage; sent: Element[] }> {
  const sent: Element[] = [];
  const { client, storage } = await clients.start(`${name}@localhost`, PASSWORD, {
    prepare: (session) => recordSent(session, sent),
  });
  return { client, storage, sent };
}

const twomemo = (name: string) => peers.start(name);

test('Hush and python-twomemo: OMEMO 2 both ways, each first message building the session', async () => {
  const me = await hush('hush');
  const two1 = await twomemo('two1');
  const two2 = await twomemo('two2');
  const history = (peer: string) =>
    me.storage.messages.history('hush@localhost', peer, { limit: 100 });
  const received = (peer: string, body: string) =>
    until(async () => (await history(peer)).find((m) => m.body === body), `hush to have "${body}"`);

  // Before any message, Hush shows the fingerprint of twomemo's device (the Curve25519 form of its
  // Ed25519 identity key, as for 0.3 devices).
  const listed = await me.client.omemo?.devices('two1@localhost');
  assert.deepEqual(
    listed?.map((d) => [d.deviceId, d.fingerprint]),
    [[two1.deviceId, two1.fingerprint]],
  );

  // Hush writes first: a key exchange, in OMEMO 2 only.
  await me.client.messenger.sendText('two1@localhost', 'hello from hush ✓');
  const first = await two1.next(messageWithBody('hello from hush ✓'), 30_000);
  assert.ok(first.event === 'message' && first.encrypted && first.prekey, 'a key exchange');
  assert.equal(first.event === 'message' && first.senderDevice, me.client.omemo?.deviceId);
  assert.equal(first.event === 'message' && first.envelopeFrom, 'hush@localhost');
  const wire = me.sent.find(
    (s) => s.attrs.to === 'two1@localhost' && s.getChild('encrypted', NS_OMEMO2),
  );
  assert.ok(wire, 'sent as OMEMO 2');
  assert.equal(wire.getChild('encrypted', NS_OMEMO_LEGACY), undefined, 'and not as 0.3');
  await two1.send('hush@localhost', 'hello back from twomemo');
  const back = await received('two1@localhost', 'hello back from twomemo');
  assert.equal(back.encrypted, true);
  await me.client.messenger.sendText('two1@localhost', 'second from hush');
  const second = await two1.next(messageWithBody('second from hush'), 30_000);
  assert.ok(second.event === 'message' && !second.prekey, 'then no key exchange');

  // twomemo writes first: its key exchange is read, and answered so its session is complete.
  await two2.send('hush@localhost', 'twomemo speaks first');
  const fromTwo2 = await received('two2@localhost', 'twomemo speaks first');
  assert.equal(fromTwo2.encrypted, true);
  await me.client.messenger.sendText('two2@localhost', 'hush answers');
  const answer = await two2.next(messageWithBody('hush answers'), 30_000);
  assert.ok(answer.event === 'message' && !answer.prekey, 'in the session twomemo built');
  await two2.send('hush@localhost', 'twomemo again');
  await received('two2@localhost', 'twomemo again');
});

test('bad envelopes from twomemo: not XML, no or bad padding, another sender; each kept as undecryptable with its reason, and the session goes on', async () => {
  const me = await hush('hush2');
  const two = await twomemo('two3');
  const peer = 'two3@localhost';
  const history = () => me.storage.messages.history('hush2@localhost', peer, { limit: 100 });
  const envelope = (inner: string) =>
    `<envelope xmlns='urn:xmpp:sce:1'><content><body xmlns='jabber:client'>hidden</body></content>${inner}</envelope>`;
  const bad: [string, RegExp][] = [
    ['this is not <xml', /not XML/],
    [envelope(`<from jid='${peer}'/>`), /no single <rpad\/>/],
    [envelope(`<rpad><x/></rpad><from jid='${peer}'/>`), /<rpad\/> holds elements/],
    [
      envelope(`<rpad>pad</rpad><from jid='mallory@localhost'/>`),
      /says it is from mallory@localhost/,
    ],
    [envelope('<rpad>pad</rpad>'), /does not name its sender/],
  ];
  for (const [text] of bad) await two.sendEnvelope('hush2@localhost', text);
  const kept = await until(async () => {
    const all = (await history()).filter((m) => m.state === 'undecryptable');
    return all.length >= bad.length ? all : undefined;
  }, 'five undecryptable messages');
  for (const [, reason] of bad) {
    assert.ok(
      kept.some((m) => m.failure?.code === 'Undecryptable' && reason.test(m.failure.message)),
      `one kept as undecryptable for ${reason}: ${kept.map((m) => m.failure?.message).join(' | ')}`,
    );
  }
  assert.ok(
    kept.every((m) => m.encrypted && m.body === ''),
    'nothing of a bad one is shown',
  );
  // None of it broke the session: both ways still work.
  await two.send('hush2@localhost', 'all good again');
  await until(
    async () => (await history()).find((m) => m.body === 'all good again'),
    'the next good message',
  );
  // Padding longer than Hush writes is read (XEP-0420 0.5.0 says it must not be refused).
  await two.sendEnvelope(
    'hush2@localhost',
    `<envelope xmlns='urn:xmpp:sce:1'><content><body xmlns='jabber:client'>long padding</body></content><rpad>${'p'.repeat(2_000)}</rpad><from jid='${peer}'/></envelope>`,
  );
  await until(
    async () => (await history()).find((m) => m.body === 'long padding'),
    'the message with long padding',
  );
  await me.client.messenger.sendText(peer, 'read you');
  await two.next(messageWithBody('read you'), 30_000);
});

test('a read marker and a chat state that arrive inside OMEMO 2 (as Converse.js sends them) are taken as such, not shown as empty messages', async () => {
  const me = await hush('hush3');
  const two = await twomemo('two4');
  const peer = 'two4@localhost';
  const history = () => me.storage.messages.history('hush3@localhost', peer, { limit: 100 });
  const states: string[] = [];
  me.client.messenger.subscribe((event) => {
    if (event.type === 'chat-state' && event.peer === peer) states.push(event.state);
  });
  const sent = await me.client.messenger.sendText(peer, 'mark me read');
  await two.next(messageWithBody('mark me read'), 30_000);
  const only = (content: string) =>
    `<envelope xmlns='urn:xmpp:sce:1'><content>${content}</content><rpad>pad</rpad><from jid='${peer}'/></envelope>`;
  await two.sendEnvelope(
    'hush3@localhost',
    only(`<composing xmlns='http://jabber.org/protocol/chatstates'/>`),
  );
  await two.sendEnvelope(
    'hush3@localhost',
    only(`<displayed xmlns='urn:xmpp:chat-markers:0' id='${sent.id}'/>`),
  );
  await until(
    async () => (await history()).find((m) => m.id === sent.id && m.state === 'read'),
    'the message marked read',
  );
  assert.deepEqual(states, ['composing']);
  assert.deepEqual(
    (await history()).map((m) => m.body),
    ['mark me read'],
    'nothing else stored',
  );
});
