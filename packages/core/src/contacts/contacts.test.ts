// Contacts against a real Prosody: mutual subscription, presence, removal, blocking, contact invites,
// and network input that must be ignored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import xml, { type Element } from '@xmpp/xml';
import {
  startProsody,
  trustCertificateAuthority,
  type ProsodyServer,
  until,
} from '@hush/test-utils';
import { openSession, type XmppSession } from '../xmpp/session.ts';
import { isHushError } from '../errors.ts';
import { Contacts, parseRosterItem } from './index.ts';
import type { PresenceChange, SubscriptionRequest } from './index.ts';

let server: ProsodyServer;
const open: { contacts: Contacts; session: XmppSession }[] = [];
before(async () => {
  server = await startProsody();
  trustCertificateAuthority(server.caCert);
  for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'])
    await server.createAccount(name, `${name}-password`);
});
after(async () => {
  await Promise.all(
    open.map(async ({ contacts, session }) => (contacts.close(), await session.close())),
  );
  await server?.stop();
});

async function person(name: string) {
  const session = await openSession({
    service: server.websocketUrl,
    jid: `${name}@localhost`,
    password: `${name}-password`,
  });
  const contacts = new Contacts({ session });
  const requests: SubscriptionRequest[] = [];
  const presence: PresenceChange[] = [];
  const stanzas: Element[] = [];
  contacts.onRequest((request) => requests.push(request));
  contacts.onPresence((change) => presence.push(change));
  session.onStanza((stanza) => stanzas.push(stanza));
  await contacts.start();
  await session.send(xml('presence')); // initial presence, which Messenger.start() sends in the app
  open.push({ contacts, session });
  return { session, contacts, requests, presence, stanzas };
}

test('alice adds bob, bob adds alice: both subscribed both ways and online; then alice removes bob', async () => {
  const alice = await person('alice');
  const bob = await person('bob');

  const added = await alice.contacts.add('Bob@localhost', 'Bob');
  assert.equal(added.jid, 'bob@localhost');
  assert.equal(alice.contacts.get('bob@localhost')?.name, 'Bob');
  // Bob does not know alice yet: her request waits for him.
  await until(() => bob.requests.some((r) => r.jid === 'alice@localhost'), 'the request');
  assert.deepEqual(bob.contacts.requests(), [{ jid: 'alice@localhost' }]);

  await bob.contacts.add('alice@localhost');
  await until(
    () =>
      alice.contacts.get('bob@localhost')?.subscription === 'both' &&
      bob.contacts.get('alice@localhost')?.subscription === 'both',
    'both subscriptions',
  );
  assert.deepEqual(bob.contacts.requests(), []);
  await until(
    () => alice.contacts.available('bob@localhost') && bob.contacts.available('alice@localhost'),
    'presence both ways',
  );
  assert.ok(alice.presence.some((p) => p.jid === 'bob@localhost' && p.available));
  // What the server holds matches what the pushes built.
  const fromServer = await alice.contacts.list();
  assert.deepEqual(
    fromServer.map((c) => [c.jid, c.subscription, c.ask]),
    [['bob@localhost', 'both', false]],
  );

  await alice.contacts.remove('bob@localhost');
  assert.equal(alice.contacts.get('bob@localhost'), undefined);
  assert.equal(alice.contacts.available('bob@localhost'), false);
  await until(
    () => bob.contacts.get('alice@localhost')?.subscription === 'none',
    "bob's subscription to end",
  );
  await until(() => !bob.contacts.available('alice@localhost'), 'alice to look offline to bob');
  // Removing again is not an error.
  await alice.contacts.remove('bob@localhost');
});

test('a blocked contact cannot reach alice until she unblocks them', async () => {
  const carol = await person('carol');
  const dave = await person('dave');
  await carol.contacts.block('dave@localhost');
  assert.deepEqual(await carol.contacts.blocked(), ['dave@localhost']);

  const message = (id: string) =>
    xml('message', { to: 'carol@localhost', type: 'chat', id }, xml('body', {}, `text ${id}`));
  await dave.session.send(message('while-blocked'));
  // Prosody 13 drops a blocked sender's message without telling them (bounce_blocked_messages is
  // off): the blocked person cannot learn of the block. A round trip on dave's stream proves the
  // server has handled the message before carol unblocks.
  await dave.session.request(
    xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
  );
  assert.equal(
    dave.stanzas.some((s) => s.attrs.type === 'error' && s.attrs.id === 'while-blocked'),
    false,
    'no error tells dave he is blocked',
  );

  await carol.contacts.unblock('dave@localhost');
  assert.deepEqual(await carol.contacts.blocked(), []);
  await dave.session.send(message('after-unblock'));
  await until(
    () => carol.stanzas.find((s) => s.is('message') && s.attrs.id === 'after-unblock'),
    'the message after unblocking',
  );
  assert.equal(
    carol.stanzas.some((s) => s.is('message') && s.attrs.id === 'while-blocked'),
    false,
    'carol never received what dave sent while blocked',
  );
});

test('a contact invite link makes erin and frank mutual contacts without a question', async () => {
  const erin = await person('erin');
  const frank = await person('frank');
  // A contact-only invite (Prosody 0.12.3 refused these; 13 accepts them).
  const out = await server.prosodyctl('shell', 'invite', 'create_contact', 'erin@localhost');
  const uri = /xmpp:\S+/.exec(out)?.[0];
  assert.ok(uri, `no invite in: ${out}`);

  const inviter = await frank.contacts.acceptInviteLink(uri);
  assert.equal(inviter.jid, 'erin@localhost');
  await until(
    () =>
      frank.contacts.get('erin@localhost')?.subscription === 'both' &&
      erin.contacts.get('frank@localhost')?.subscription === 'both',
    'a mutual subscription',
  );
  await until(
    () => frank.contacts.available('erin@localhost') && erin.contacts.available('frank@localhost'),
    'presence both ways',
  );
  assert.deepEqual(erin.requests, [], 'erin was never asked');
  assert.deepEqual(frank.requests, [], 'frank was never asked');

  await assert.rejects(
    frank.contacts.acceptInviteLink('xmpp:localhost?register;preauth=abcdef'),
    (error) => isHushError(error, 'InviteInvalid'),
  );
  await assert.rejects(frank.contacts.acceptInviteLink('https://example.org'), (error) =>
    isHushError(error, 'InviteMalformed'),
  );
});

test('a roster push from anyone but the account is ignored and refused', async () => {
  const grace = await person('grace');
  const heidi = await person('heidi');
  const before = grace.contacts.contacts();
  const forged = xml(
    'iq',
    { type: 'set', to: grace.session.jid, id: 'forged-push' },
    xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: 'mallory@localhost' })),
  );
  await assert.rejects(heidi.session.request(forged), (error: { condition?: string }) =>
    Boolean(error.condition),
  );
  assert.deepEqual(grace.contacts.contacts(), before);
  assert.equal(grace.contacts.get('mallory@localhost'), undefined);
});

test('bad addresses are refused before anything is sent', async () => {
  const grace = await person('grace');
  // Everything the session is asked to send from here on.
  const outgoing: string[] = [];
  const { session } = grace;
  const send = session.send.bind(session);
  const request = session.request.bind(session);
  session.send = (stanza) => (outgoing.push(stanza.toString()), send(stanza));
  session.request = (stanza, ...rest) => (
    outgoing.push(stanza.toString()),
    request(stanza, ...rest)
  );
  for (const bad of ['', 'nobody', '@localhost', 'a b@localhost'])
    await assert.rejects(grace.contacts.add(bad), (error) => isHushError(error, 'InvalidUsername'));
  await assert.rejects(grace.contacts.add('grace@localhost'), (error) =>
    isHushError(error, 'InvalidUsername'),
  );
  assert.deepEqual(outgoing, [], 'nothing went to the server');
  // The same path sends a valid request: the record above would have seen one.
  await grace.contacts.add('heidi@localhost');
  assert.ok(outgoing.length > 0, 'a valid address is sent');
});

test('malformed roster items parse to null, never throw', () => {
  const item = (attrs: Record<string, string>) => xml('item', attrs);
  assert.equal(parseRosterItem(item({})), null);
  assert.equal(parseRosterItem(item({ jid: 'a@b', subscription: 'sometimes' })), null);
  assert.equal(parseRosterItem(item({ jid: 'a@b/phone' })), null);
  assert.equal(parseRosterItem(xml('other', { jid: 'a@b' })), null);
  assert.equal(parseRosterItem(item({ jid: 'a@b', subscription: 'remove' })), 'remove');
  assert.deepEqual(
    parseRosterItem(
      xml('item', { jid: 'A@B', subscription: 'to', ask: 'subscribe' }, xml('group', {}, 'Work')),
    ),
    { jid: 'a@b', subscription: 'to', ask: true, approved: false, groups: ['Work'] },
  );
});
