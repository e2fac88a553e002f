// OMEMO with an independent implementation: a peer on Debian's python-omemo, oldmemo and slixmpp
// (packages/test-utils/python), against a real Prosody: messages, and XEP-0454 files. The first message in each direction is a
// PreKey message: Hush opens a session with one python account, another python account opens one
// with Hush.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { messageWithBody, serverSuite, testPeers, until } from '@hush/test-utils';
import { testClients } from '@hush/test-utils/sessions';
import type { Element } from '@xmpp/xml';

import type { Storage } from '../storage/types.ts';
import type { HushClient } from '../client.ts';
import { NS_OMEMO_LEGACY } from './bundle.ts';
import { FileSender } from '../media/file-sender.ts';
import { downloadFile } from '../media/download.ts';

const PASSWORD = 'interop-password';
const clients = testClients(() => suite.server);

const suite = serverSuite({
  accounts: ['hush', 'py1', 'py2'],
  password: PASSWORD,
  scratch: 'hush-interop-',
  closeFirst: async () => {
    await clients.closeAll();
    await peers.stopAll();
  },
});
const peers = testPeers(suite, PASSWORD);

async function hush(
  name: string,
): Promise<{ client: HushClient; storage: Storage; raw: Element[] }> {
  const raw: Element[] = [];
  const { client, storage } = await clients.start(`${name}@localhost`, PASSWORD, {
    prepare: (session) => session.onStanza((stanza) => raw.push(stanza)),
  });
  return { client, storage, raw };
}

const python = (name: string) => peers.start(name);

test('Hush and python-omemo: messages both ways, the first in each direction a PreKey message', async () => {
  const me = await hush('hush');
  const py1 = await python('py1');
  const py2 = await python('py2');
  const everything = async () =>
    (
      await Promise.all(
        ['py1@localhost', 'py2@localhost'].map((peer) =>
          me.storage.messages.history('hush@localhost', peer, { limit: 100 }),
        ),
      )
    ).flat();
  const received = (body: string) =>
    until(async () => (await everything()).find((m) => m.body === body), `hush to have "${body}"`);

  // Hush opens the session with py1.
  await me.client.messenger.sendText('py1@localhost', 'hello from hush ✓');
  const first = await py1.next(messageWithBody('hello from hush ✓'));
  assert.ok(first.event === 'message' && first.encrypted && first.prekey, 'a PreKey message');
  assert.equal(first.event === 'message' && first.senderDevice, me.client.omemo?.deviceId);
  await py1.send('hush@localhost', 'hello back from python');
  const back = await received('hello back from python');
  assert.equal(back.encrypted, true);
  assert.equal(back.state, 'received');
  await me.client.messenger.sendText('py1@localhost', 'second from hush');
  const second = await py1.next(messageWithBody('second from hush'));
  assert.ok(second.event === 'message' && !second.prekey, 'then a normal message');

  // py2 opens the session with Hush: its first message is a PreKey message Hush decrypts.
  await py2.send('hush@localhost', 'python speaks first');
  const fromPy2 = await received('python speaks first');
  assert.equal(fromPy2.encrypted, true);
  const stanza = me.raw.find(
    (s) =>
      s.getChild('encrypted', NS_OMEMO_LEGACY)?.getChild('header')?.attrs.sid ===
      String(py2.deviceId),
  );
  const key = stanza
    ?.getChild('encrypted', NS_OMEMO_LEGACY)
    ?.getChild('header')
    ?.getChildren('key')
    .find((k) => k.attrs.rid === String(me.client.omemo?.deviceId));
  assert.equal(key?.attrs.prekey, 'true');
  await me.client.messenger.sendText('py2@localhost', 'hush answers');
  const answer = await py2.next(messageWithBody('hush answers'));
  assert.ok(answer.event === 'message' && answer.encrypted);

  // Python's session-completing key-transport messages are not shown, and nothing is undecryptable.
  const all = await everything();
  assert.ok(
    all.every((m) => m.state !== 'undecryptable'),
    JSON.stringify(all),
  );
  assert.ok(all.every((m) => m.body !== ''));
  assert.ok(!py1.events.some((e) => e.event === 'undecryptable'));
  assert.ok(!py2.events.some((e) => e.event === 'undecryptable'));
  // The fingerprints both sides show are the same.
  const seen = await me.client.omemo?.devices('py1@localhost');
  assert.equal(seen?.find((d) => d.deviceId === py1.deviceId)?.fingerprint, py1.fingerprint);
});

test('Hush and python-omemo: encrypted files (XEP-0454 aesgcm://) both ways', async () => {
  await suite.server.createAccount('hushfiles', PASSWORD);
  await suite.server.createAccount('pyfiles', PASSWORD);
  const me = await hush('hushfiles');
  const py = await python('pyfiles');
  const files = new FileSender({
    session: me.client.session,
    storage: me.storage,
    messenger: me.client.messenger,
  });
  const outgoing = new Uint8Array(randomBytes(150_000));
  await files.send('pyfiles@localhost', outgoing);
  const got = await py.next((event) => event.event === 'file');
  assert.ok(got.event === 'file');
  assert.equal(got.sha256, createHash('sha256').update(outgoing).digest('hex'));
  assert.equal(got.size, outgoing.length);

  const path = join(suite.scratch, 'from-python.bin');
  await writeFile(path, randomBytes(120_000));
  const sent = await py.sendFile('hushfiles@localhost', path);
  const message = await until(
    async () =>
      (await me.storage.messages.history('hushfiles@localhost', 'pyfiles@localhost', { limit: 10 }))
        .filter((m) => m.direction === 'in')
        .find((m) => m.body.startsWith('aesgcm://')),
    'the link from python',
  );
  assert.equal(message.encrypted, true);
  const { bytes } = await downloadFile(message.body);
  assert.equal(createHash('sha256').update(bytes).digest('hex'), sent.sha256);
});
