// Spam reports against real Prosody servers: one with mod_spam_reporting (a report blocks the
// sender, whose messages then stop arriving, and reaches the server's log; unblocking works after
// it), and Hush's own configuration, which does not take reports (refused, nothing changes).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import xml, { type Element } from '@xmpp/xml';
import {
  startProsody,
  trustCertificateAuthority,
  type ProsodyServer,
  until,
} from '@hush/test-utils';
import { openSession, type XmppSession } from '../xmpp/session.ts';
import { isHushError } from '../errors.ts';
import { Contacts } from './index.ts';
import { SpamReports } from './reporting.ts';

let reporting: ProsodyServer;
let plain: ProsodyServer;
const sessions: XmppSession[] = [];
const started: Contacts[] = [];
const names = ['alice', 'mallory', 'bob', 'trent'];

before(async () => {
  [reporting, plain] = await Promise.all([startProsody(), startProsody()]);
  trustCertificateAuthority(reporting.caCert);
  trustCertificateAuthority(plain.caCert);
  // The community module that takes reports, on top of Hush's configuration.
  const config = await readFile(reporting.configFile, 'utf8');
  const withReports = config.replace('"blocklist";', '"blocklist"; "spam_reporting";');
  assert.notEqual(withReports, config, 'the rendered configuration enables mod_blocklist');
  await writeFile(reporting.configFile, withReports);
  await reporting.restart();
  for (const server of [reporting, plain])
    for (const name of names) await server.createAccount(name, `${name}-password`);
});

after(async () => {
  for (const contacts of started) contacts.close();
  await Promise.all(sessions.map((session) => session.close()));
  await Promise.all([reporting?.stop(), plain?.stop()]);
});

async function person(server: ProsodyServer, name: string) {
  const session = await openSession({
    service: server.websocketUrl,
    jid: `${name}@localhost`,
    password: `${name}-password`,
  });
  sessions.push(session);
  const stanzas: Element[] = [];
  session.onStanza((stanza) => stanzas.push(stanza));
  const contacts = new Contacts({ session });
  started.push(contacts);
  await contacts.start();
  await session.send(xml('presence')); // initial presence, which Messenger.start() sends in the app
  return { session, stanzas, contacts, reports: new SpamReports(session) };
}

const message = (to: string, id: string) =>
  xml('message', { to, type: 'chat', id }, xml('body', {}, `text ${id}`));

/** A round trip on `session`: the server has handled everything sent before it. */
const roundTrip = (session: XmppSession) =>
  session.request(
    xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
  );

test('a reported sender is blocked, the report reaches the server, and unblocking works', async () => {
  const alice = await person(reporting, 'alice');
  const mallory = await person(reporting, 'mallory');
  assert.equal(await alice.reports.supported(), true);

  await mallory.session.send(message('alice@localhost', 'before'));
  await until(
    () => alice.stanzas.find((s) => s.is('message') && s.attrs.id === 'before'),
    'the message before the report',
  );
  await alice.reports.report('Mallory@localhost/phone', {
    text: 'Sells watches',
    stanzaIds: ['archive-1', 'archive-1', ''],
  });
  assert.deepEqual(await alice.contacts.blocked(), ['mallory@localhost']);
  await until(
    async () =>
      /report of spam from JID 'mallory@localhost', Sells watches/.test(await reporting.readLogs()),
    'the report in the server log',
  );

  await mallory.session.send(message('alice@localhost', 'while-blocked'));
  await roundTrip(mallory.session);

  await alice.contacts.unblock('mallory@localhost');
  assert.deepEqual(await alice.contacts.blocked(), []);
  await mallory.session.send(message('alice@localhost', 'after-unblock'));
  await until(
    () => alice.stanzas.find((s) => s.is('message') && s.attrs.id === 'after-unblock'),
    'the message after unblocking',
  );
  assert.equal(
    alice.stanzas.some((s) => s.is('message') && s.attrs.id === 'while-blocked'),
    false,
    'alice never received what mallory sent while blocked',
  );
});

test('an abuse report says so', async () => {
  const bob = await person(reporting, 'bob');
  await bob.reports.report('trent@localhost', { reason: 'abuse' });
  assert.deepEqual(await bob.contacts.blocked(), ['trent@localhost']);
  await until(
    async () => /report of abuse from JID 'trent@localhost'/.test(await reporting.readLogs()),
    'the abuse report in the server log',
  );
});

test('a server without reports refuses before sending anything, and nothing is blocked', async () => {
  const alice = await person(plain, 'alice');
  assert.equal(await alice.reports.supported(), false);
  await assert.rejects(alice.reports.report('mallory@localhost'), (error: unknown) =>
    isHushError(error, 'NotAllowed'),
  );
  assert.deepEqual(await alice.contacts.blocked(), []);
  // Blocking alone still works there.
  await alice.contacts.block('mallory@localhost');
  assert.deepEqual(await alice.contacts.blocked(), ['mallory@localhost']);
});

test('what is not an address is refused with a typed error', async () => {
  const bob = await person(plain, 'bob');
  for (const bad of ['', 'no-at-sign', '@localhost', 'a b@localhost'])
    await assert.rejects(
      bob.reports.report(bad),
      (error: unknown) => isHushError(error, 'InvalidUsername'),
      bad,
    );
  assert.deepEqual(await bob.contacts.blocked(), []);
});
