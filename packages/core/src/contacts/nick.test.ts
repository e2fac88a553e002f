// Nicknames (XEP-0172) against a real Prosody: carried in a subscription request, published on PEP
// and read by contacts (not by strangers), a roster name over a nickname, and names that must not be
// shown as they came.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import {
  startProsody,
  trustCertificateAuthority,
  type ProsodyServer,
  until,
} from '@hush/test-utils';
import { openSession, type XmppSession } from '../xmpp/session.ts';
import { isHushError } from '../errors.ts';
import { Contacts } from './index.ts';
import { MAX_NICK_LENGTH, NS_NICK, cleanNick } from './nick.ts';

let server: ProsodyServer;
const open: { contacts: Contacts; session: XmppSession }[] = [];
before(async () => {
  server = await startProsody();
  trustCertificateAuthority(server.caCert);
  for (const name of ['alice', 'bob', 'carol', 'dave'])
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
  await contacts.start();
  await session.send(xml('presence'));
  open.push({ contacts, session });
  return { session, contacts };
}

test('a published nickname travels in the request, is read by a contact from PEP, and yields to a roster name', async () => {
  const alice = await person('alice');
  const bob = await person('bob');
  const carol = await person('carol');

  assert.equal(await alice.contacts.nicknames.publish('  Alice   Liddell '), 'Alice Liddell');
  assert.equal(alice.contacts.nicknames.own(), 'Alice Liddell');

  await alice.contacts.add('bob@localhost');
  await until(
    () => bob.contacts.requests().some((r) => r.jid === 'alice@localhost'),
    'the request',
  );
  assert.equal(bob.contacts.nicknames.get('alice@localhost'), 'Alice Liddell');
  assert.equal(bob.contacts.displayName('alice@localhost'), 'Alice Liddell');

  await bob.contacts.approve('alice@localhost');
  await until(
    () => bob.contacts.get('alice@localhost')?.subscription === 'both',
    'both subscriptions',
  );
  // A fresh session of bob's knows nothing yet and reads the name from alice's PEP node.
  const bobAgain = await person('bob');
  assert.equal(bobAgain.contacts.nicknames.get('alice@localhost'), undefined);
  assert.equal(await bobAgain.contacts.nicknames.fetch('alice@localhost'), 'Alice Liddell');
  // A stranger may not read it (PEP's presence access model).
  assert.equal(await carol.contacts.nicknames.fetch('alice@localhost'), undefined);

  // A name bob gives her wins, and is kept in his roster.
  await bob.contacts.rename('alice@localhost', 'Mum');
  await until(() => bob.contacts.get('alice@localhost')?.name === 'Mum', 'the roster push');
  assert.equal(bob.contacts.displayName('alice@localhost'), 'Mum');
  await bobAgain.contacts.list();
  assert.equal(bobAgain.contacts.displayName('alice@localhost'), 'Mum');
  assert.equal(bobAgain.contacts.get('alice@localhost')?.subscription, 'both');
  // Removing the name shows hers again.
  await bob.contacts.rename('alice@localhost', '');
  await until(() => bob.contacts.get('alice@localhost')?.name === undefined, 'the name removed');
  assert.equal(bob.contacts.displayName('alice@localhost'), 'Alice Liddell');

  // Her own next session reads her name back from the server.
  const aliceAgain = await person('alice');
  assert.equal(await aliceAgain.contacts.nicknames.fetch('alice@localhost'), 'Alice Liddell');
  assert.equal(aliceAgain.contacts.nicknames.own(), 'Alice Liddell');

  // An empty name retracts it.
  assert.equal(await aliceAgain.contacts.nicknames.publish(''), undefined);
  assert.equal(await bobAgain.contacts.nicknames.fetch('alice@localhost'), 'Alice Liddell');
  assert.equal(aliceAgain.contacts.nicknames.own(), undefined);
});

test('a name of nothing shown is refused with InvalidUsername and publishes nothing', async () => {
  const dave = await person('dave');
  await assert.rejects(dave.contacts.nicknames.publish('\u202e\u0007 '), (error: unknown) =>
    isHushError(error, 'InvalidUsername'),
  );
  assert.equal(await dave.contacts.nicknames.fetch('dave@localhost'), undefined);
});

test('names are cleaned: controls and direction overrides gone, white space collapsed, length capped', () => {
  assert.equal(cleanNick('Eve\u202e gnp.exe'), 'Eve gnp.exe');
  assert.equal(cleanNick('a\n\tb'), 'a b');
  assert.equal(cleanNick(' \u0000 '), undefined);
  assert.equal(cleanNick(undefined), undefined);
  assert.equal(Array.from(cleanNick('я'.repeat(200)) ?? '').length, MAX_NICK_LENGTH);
  assert.equal(cleanNick('😀'.repeat(100)), '😀'.repeat(MAX_NICK_LENGTH));
});

test('a PEP nickname push counts only from the owner’s bare address', async () => {
  const { contacts } = await person('carol');
  const event = (from: string, nick: string) =>
    xml(
      'message',
      { from },
      xml(
        'event',
        { xmlns: 'http://jabber.org/protocol/pubsub#event' },
        xml(
          'items',
          { node: NS_NICK },
          xml('item', { id: 'current' }, xml('nick', { xmlns: NS_NICK }, nick)),
        ),
      ),
    );
  contacts.nicknames.handleStanza(event('mallory@localhost/phone', 'Bob'));
  assert.equal(contacts.nicknames.get('mallory@localhost'), undefined);
  contacts.nicknames.handleStanza(event('bob@localhost', 'Bobby'));
  assert.equal(contacts.nicknames.get('bob@localhost'), 'Bobby');
  assert.equal(contacts.displayName('bob@localhost'), 'Bobby');
});
