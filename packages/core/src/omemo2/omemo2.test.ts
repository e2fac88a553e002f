// OMEMO 2 between Hush devices against a real Prosody: Hush publishes both versions, so two Hush
// accounts write OMEMO 2 to each other and to their own other devices; a device that publishes 0.3
// only is written 0.3 (and writes 0.3 back). Broken OMEMO 2 input is kept as undecryptable with its
// reason, and the session keeps working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { serverSuite, until } from '@hush/test-utils';
import xml, { type Element } from '@xmpp/xml';
import { openSession } from '../xmpp/session.ts';
import { createMemoryStorage } from '../storage/memory.ts';
import type { Storage, StoredMessage } from '../storage/types.ts';
import { startClient, type HushClient } from '../client.ts';
import type { OmemoVersion } from '../omemo/pep.ts';
import { NS_OMEMO_LEGACY } from '../omemo/bundle.ts';
import { NS_OMEMO2 } from './bundle.ts';
import { fetchDeviceList, publishDeviceList } from './pep.ts';

const PASSWORD = 'omemo2-test-password';
const open: HushClient[] = [];
let people = 0;

const suite = serverSuite({
  closeFirst: () => Promise.all(open.map(async (c) => (await c.close(), await c.session.close()))),
});

async function person(name: string): Promise<string> {
  const username = `${name}${++people}`;
  await suite.server.createAccount(username, PASSWORD);
  return `${username}@localhost`;
}

interface Device {
  readonly client: HushClient;
  readonly storage: Storage;
  readonly jid: string;
  /** Every stanza this device sent. */
  readonly sent: Element[];
}

async function device(jid: string, versions?: readonly OmemoVersion[]): Promise<Device> {
  const storage = createMemoryStorage();
  const session = await openSession({
    service: suite.server.websocketUrl,
    jid,
    password: PASSWORD,
  });
  const sent: Element[] = [];
  const send = session.send.bind(session);
  session.send = async (stanza: Element) => {
    sent.push(stanza);
    await send(stanza);
  };
  const client = await startClient({
    session,
    storage,
    ...(versions ? { omemo: { versions } } : {}),
  });
  open.push(client);
  return { client, storage, jid, sent };
}

async function history(device: Device, peer: string): Promise<StoredMessage[]> {
  return device.storage.messages.history(device.jid, peer, { limit: 200 });
}

function received(device: Device, peer: string, body: string): Promise<StoredMessage> {
  return until(
    async () => (await history(device, peer)).find((m) => m.body === body),
    `${device.jid} to have "${body}"`,
  );
}

/** The version the stanza with this body's id travelled in. */
function versionOf(device: Device, id: string): OmemoVersion | undefined {
  const stanza = device.sent.find((s) => s.attrs.id === id);
  if (stanza?.getChild('encrypted', NS_OMEMO2)) return '2';
  if (stanza?.getChild('encrypted', NS_OMEMO_LEGACY)) return '0.3';
  return undefined;
}

test('two Hush accounts write OMEMO 2, to each other and to their own other devices; the key exchange stops once answered', async () => {
  const aliceJid = await person('alice');
  const bobJid = await person('bob');
  const alice = await device(aliceJid);
  const alicePhone = await device(aliceJid);
  const bob = await device(bobJid);

  const first = await alice.client.messenger.sendText(bobJid, 'hello in OMEMO 2');
  await received(bob, aliceJid, 'hello in OMEMO 2');
  await received(alicePhone, bobJid, 'hello in OMEMO 2');
  assert.equal(versionOf(alice, first.id), '2');
  const stanza = alice.sent.find((s) => s.attrs.id === first.id);
  const keys = stanza?.getChild('encrypted', NS_OMEMO2)?.getChild('header')?.getChildren('keys');
  assert.deepEqual(keys?.map((k) => k.attrs.jid).sort(), [aliceJid, bobJid].sort());
  assert.ok(keys?.flatMap((k) => k.getChildren('key')).every((k) => k.attrs.kex === 'true'));

  const reply = await bob.client.messenger.sendText(aliceJid, 'hello back');
  await received(alice, bobJid, 'hello back');
  await received(alicePhone, bobJid, 'hello back');
  assert.equal(versionOf(bob, reply.id), '2');
  const second = await alice.client.messenger.sendText(bobJid, 'no key exchange now');
  await received(bob, aliceJid, 'no key exchange now');
  const bobKey = alice.sent
    .find((s) => s.attrs.id === second.id)
    ?.getChild('encrypted', NS_OMEMO2)
    ?.getChild('header')
    ?.getChildren('keys')
    .find((k) => k.attrs.jid === bobJid)
    ?.getChild('key');
  assert.ok(bobKey && bobKey.attrs.kex === undefined, 'bob answered: no kex for him');
});

test('a device that publishes OMEMO 0.3 only is written 0.3, and its 0.3 messages are read', async () => {
  const carolJid = await person('carol');
  const daveJid = await person('dave');
  const carol = await device(carolJid, ['0.3']);
  const dave = await device(daveJid);
  const toCarol = await dave.client.messenger.sendText(carolJid, 'in 0.3 for carol');
  await received(carol, daveJid, 'in 0.3 for carol');
  assert.equal(versionOf(dave, toCarol.id), '0.3');
  const toDave = await carol.client.messenger.sendText(daveJid, 'and 0.3 back');
  await received(dave, carolJid, 'and 0.3 back');
  assert.equal(versionOf(carol, toDave.id), '0.3');
});

test('broken OMEMO 2 input: tampered payload, truncated key, bad base64, malformed header; each kept as undecryptable with a typed reason, and the session keeps working', async () => {
  const erinJid = await person('erin');
  const frankJid = await person('frank');
  const erin = await device(erinJid);
  const frank = await device(frankJid);
  const frankId = String(frank.client.omemo?.deviceId);
  await erin.client.messenger.sendText(frankJid, 'warm up');
  await received(frank, erinJid, 'warm up');
  await frank.client.messenger.sendText(erinJid, 'warm up back');
  await received(erin, frankJid, 'warm up back');

  const omemo = erin.client.omemo;
  assert.ok(omemo);
  const frankKey = (stanza: Element) =>
    stanza
      .getChild('encrypted', NS_OMEMO2)
      ?.getChild('header')
      ?.getChildren('keys')
      .find((k) => k.attrs.jid === frankJid)
      ?.getChildren('key')
      .find((k) => k.attrs.rid === frankId);
  const setText = (element: Element | undefined, text: string) =>
    element?.children.splice(0, element.children.length, text);
  const variants: [string, (stanza: Element) => void][] = [
    [
      'tampered payload',
      (stanza) => {
        const payload = stanza.getChild('encrypted', NS_OMEMO2)?.getChild('payload');
        const bytes = Buffer.from(payload?.text() ?? '', 'base64');
        bytes[0] = (bytes[0] ?? 0) ^ 0xff;
        setText(payload, bytes.toString('base64'));
      },
    ],
    [
      'truncated key',
      (stanza) => {
        const key = frankKey(stanza);
        setText(
          key,
          Buffer.from(key?.text() ?? '', 'base64')
            .subarray(0, 20)
            .toString('base64'),
        );
      },
    ],
    ['bad base64', (stanza) => setText(frankKey(stanza), '!!!not base64***')],
    [
      'malformed header',
      (stanza) => {
        const header = stanza.getChild('encrypted', NS_OMEMO2)?.getChild('header');
        if (header) header.attrs.sid = 'not-a-number';
      },
    ],
  ];
  for (const [name, damage] of variants) {
    const body = `secret ${name}`;
    const stanza = await omemo.encrypt({
      to: frankJid,
      body,
      stanza: xml(
        'message',
        { to: frankJid, type: 'chat', id: randomUUID() },
        xml('body', {}, body),
      ),
    });
    damage(stanza);
    await erin.client.session.send(stanza);
  }
  const broken = await until(async () => {
    const all = (await history(frank, erinJid)).filter((m) => m.state === 'undecryptable');
    return all.length >= variants.length ? all : undefined;
  }, 'four undecryptable messages');
  assert.deepEqual(
    broken.map((m) => m.failure?.code),
    variants.map(() => 'Undecryptable'),
  );
  assert.ok(broken.every((m) => m.encrypted && m.body === ''));
  await erin.client.messenger.sendText(frankJid, 'after the noise');
  await received(frank, erinJid, 'after the noise');
  await frank.client.messenger.sendText(erinJid, 'heard you');
  await received(erin, frankJid, 'heard you');
});

test('an own device that speaks OMEMO 0.3 only keeps the account on 0.3, so it reads the copy of what was sent', async () => {
  const ginaJid = await person('gina');
  const henryJid = await person('henry');
  const gina = await device(ginaJid);
  const ginaOld = await device(ginaJid, ['0.3']);
  const henry = await device(henryJid);
  const sent = await gina.client.messenger.sendText(henryJid, 'for henry and my old phone');
  await received(henry, ginaJid, 'for henry and my old phone');
  await received(ginaOld, henryJid, 'for henry and my old phone');
  assert.equal(versionOf(gina, sent.id), '0.3');
});

test('messages encrypted at the same moment for the same device each get their own message key', async () => {
  const ivanJid = await person('ivan');
  const judyJid = await person('judy');
  const ivan = await device(ivanJid);
  const judy = await device(judyJid);
  await ivan.client.messenger.sendText(judyJid, 'first');
  await received(judy, ivanJid, 'first');
  const omemo = ivan.client.omemo;
  assert.ok(omemo);
  const bodies = ['together 1', 'together 2', 'together 3'];
  const stanzas = await Promise.all(
    bodies.map((body) =>
      omemo.encrypt({
        to: judyJid,
        body,
        stanza: xml(
          'message',
          { to: judyJid, type: 'chat', id: randomUUID() },
          xml('body', {}, body),
        ),
      }),
    ),
  );
  for (const stanza of stanzas) await ivan.client.session.send(stanza);
  for (const body of bodies) await received(judy, ivanJid, body);
});

test("a Hush device adding itself to the account's OMEMO 2 list keeps another client's signed label", async () => {
  const jid = await person('kai');
  // Another client of the account (Kaidan, Dino) published its device with a signed label.
  const other = await openSession({ service: suite.server.websocketUrl, jid, password: PASSWORD });
  await publishDeviceList(other, [
    { id: 4223, label: 'Kaidan on a phone', labelsig: 'c2lnbmF0dXJl' },
  ]);
  await other.close();
  const hush = await device(jid);
  const deviceId = hush.client.omemo?.deviceId ?? 0;
  const reader = await openSession({ service: suite.server.websocketUrl, jid, password: PASSWORD });
  try {
    const list = await until(async () => {
      const devices = await fetchDeviceList(reader, jid);
      return devices.some((d) => d.id === deviceId) ? devices : undefined;
    }, 'the list naming the Hush device');
    assert.deepEqual(
      list.find((d) => d.id === 4223),
      { id: 4223, label: 'Kaidan on a phone', labelsig: 'c2lnbmF0dXJl' },
    );
  } finally {
    await reader.close();
  }
});
