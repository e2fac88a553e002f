// A file's name and type over OMEMO 2, end to end on a real Prosody: the XEP-0447/0448 description
// travels in the encrypted envelope beside the aesgcm:// link, so Hush receivers learn the name and
// type while the server (stanzas on the wire, its archive and upload store) sees neither; an OMEMO
// 0.3 contact and python-twomemo still get the link and the file; a bad description is a typed
// error and the message and its file are kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serverSuite, testPeers, until } from '@hush/test-utils';
import { recordSent, testClients } from '@hush/test-utils/sessions';
import { uploadsCut } from '@hush/test-utils/files';
import xml, { type Element } from '@xmpp/xml';
import { createMemoryStorage } from '../storage/memory.ts';
import type { Storage } from '../storage/types.ts';
import type { HushClient } from '../client.ts';
import { writeForLater, type MessengerEvent } from '../chat/messenger.ts';
import type { OmemoVersion } from '../omemo/pep.ts';
import { NS_OMEMO_LEGACY } from '../omemo/bundle.ts';
import { NS_OMEMO2 } from '../omemo2/bundle.ts';
import { FileSender } from './file-sender.ts';
import { downloadFile } from './download.ts';
import { parseAesgcmUrl } from './aesgcm.ts';
import type { FetchFunction } from './types.ts';
import {
  FileSharingError,
  buildFileSharing,
  sha256Of,
  verifySharedFile,
  type SharedFile,
} from './file-sharing.ts';

const PASSWORD = 'file-sharing-password';
const clients = testClients(() => suite.server);

const suite = serverSuite({
  scratch: 'hush-sfs-',
  closeFirst: async () => {
    await clients.closeAll();
    await peers.stopAll();
  },
});
const peers = testPeers(suite, PASSWORD, 'twomemo');

const person = (name: string) => suite.newAccount(name, PASSWORD);

interface Device {
  readonly jid: string;
  readonly client: HushClient;
  readonly storage: Storage;
  readonly files: FileSender;
  /** Stanzas as they went to and came from the server. */
  readonly wire: Element[];
  readonly events: MessengerEvent[];
}

async function device(
  jid: string,
  versions?: readonly OmemoVersion[],
  options: { storage?: Storage; fetch?: FetchFunction } = {},
): Promise<Device> {
  const storage = options.storage ?? createMemoryStorage();
  const wire: Element[] = [];
  const { client } = await clients.start(jid, PASSWORD, {
    storage,
    prepare: (session) => {
      recordSent(session, wire);
      session.onStanza((stanza) => void wire.push(stanza));
    },
    ...(versions ? { omemo: { versions } } : {}),
  });
  const events: MessengerEvent[] = [];
  client.messenger.subscribe((event) => void events.push(event));
  const files = new FileSender({
    session: client.session,
    storage,
    messenger: client.messenger,
    ...(options.fetch ? { fetch: options.fetch, retries: 0 } : {}),
  });
  return { jid, client, storage, files, wire, events };
}

/** The message event (and its file, if described) for the message with this body. */
function arrived(device: Device, body: string) {
  return until(
    () =>
      device.events.find(
        (event): event is Extract<MessengerEvent, { type: 'message' }> =>
          event.type === 'message' && event.message.body === body,
      ),
    `${device.jid} to get ${body.slice(0, 40)}`,
  );
}

/** Whether any file below the server's data directory, or its log, holds `needle`. */
async function serverHas(needle: string): Promise<boolean> {
  const stack = [suite.server.dataDir];
  const bytes = Buffer.from(needle);
  while (stack.length > 0) {
    const dir = stack.pop() ?? '';
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else if (entry.isFile() && (await readFile(path)).includes(bytes)) return true;
    }
  }
  return (await suite.server.readLogs()).includes(needle);
}

test('Hush to Hush over OMEMO 2: name, type, size and voice length arrive encrypted on every device, and the server sees none of them', async () => {
  const [aliceJid, bobJid] = [await person('alice'), await person('bob')];
  const alice = await device(aliceJid);
  const alicePhone = await device(aliceJid);
  const bob = await device(bobJid);
  const name = `notes-${randomBytes(6).toString('hex')}.txt`;
  const content = new Uint8Array(randomBytes(5000));

  const sent = await alice.files.send(bobJid, content, { name, mediaType: 'text/plain' });
  for (const side of [bob, alicePhone]) {
    const { file, message } = await arrived(side, sent.body);
    assert.ok(file, `${side.jid} got the description`);
    assert.equal(message.encrypted, true);
    assert.equal(file.name, name);
    assert.equal(file.mediaType, 'text/plain');
    assert.equal(file.size, content.length);
    const { bytes } = await downloadFile(message.body);
    assert.deepEqual(verifySharedFile(bytes, file), content);
  }

  // Kept with the message where it was sent and wherever it arrived, for labels after a reload.
  const kept = { name, mediaType: 'text/plain', size: content.length, sha256: sha256Of(content) };
  assert.deepEqual(sent.file, kept);
  assert.deepEqual((await alice.storage.messages.get(aliceJid, sent.id))?.file, kept);
  for (const side of [bob, alicePhone]) {
    const [stored] = (
      await side.storage.messages.history(side.jid, side === bob ? aliceJid : bobJid, {
        limit: 10,
      })
    ).filter((m) => m.body === sent.body);
    assert.deepEqual(stored?.file, kept, `${side.jid} stored the description`);
  }

  const voice = new Uint8Array(randomBytes(3000));
  const spoken = await bob.files.send(aliceJid, voice, {
    name: 'voice.m4a',
    mediaType: 'audio/mp4',
    durationMs: 3200,
  });
  const { file: voiceFile } = await arrived(alice, spoken.body);
  assert.equal(voiceFile?.durationMs, 3200);
  assert.equal(voiceFile?.mediaType, 'audio/mp4');
  const heard = (await alice.storage.messages.history(aliceJid, bobJid, { limit: 10 })).find(
    (m) => m.body === spoken.body,
  );
  assert.equal(heard?.file?.durationMs, 3200);
  assert.equal(heard?.file?.name, 'voice.m4a');

  // What went over the wire, both ways: OMEMO 2, and nothing of the description in the clear.
  const stanza = alice.wire.find((s) => s.attrs.id === sent.id && s.is('message'));
  assert.ok(stanza?.getChild('encrypted', NS_OMEMO2), 'sent in OMEMO 2');
  for (const side of [alice, alicePhone, bob]) {
    const text = side.wire.map((s) => s.toString()).join('\n');
    for (const needle of [name, 'file-sharing', 'urn:xmpp:sfs:0', 'fallback', 'text/plain']) {
      assert.equal(text.includes(needle), false, `${needle} on ${side.jid}'s wire`);
    }
  }
  // Nor in the archive, the upload store or the logs.
  assert.equal(await serverHas(name), false);
  assert.equal(await serverHas('voice.m4a'), false);
});

test('a file whose upload was cut goes after a restart with its description: the peer over OMEMO 2 gets its name, and both histories keep it', async () => {
  const [aliceJid, bobJid] = [await person('alice'), await person('bob')];
  const bob = await device(bobJid);
  const aliceStorage = createMemoryStorage();
  const alice = await device(aliceJid, undefined, { storage: aliceStorage, fetch: uploadsCut });
  const name = `minutes-${randomBytes(4).toString('hex')}.pdf`;
  const content = new Uint8Array(randomBytes(3000));
  await assert.rejects(alice.files.send(bobJid, content, { name, mediaType: 'application/pdf' }), {
    code: 'UploadFailed',
  });
  const [pending] = await aliceStorage.uploads.list(aliceJid);
  assert.equal(pending?.file?.name, name);
  // The app starts again with the same storage, the network is back.
  await clients.stop(alice.client);
  const again = await device(aliceJid, undefined, { storage: aliceStorage });
  const { sent, failed } = await again.files.resume();
  assert.deepEqual(failed, []);
  const [message] = sent;
  assert.ok(message);
  assert.equal(message.file?.name, name);
  const { file } = await arrived(bob, message.body);
  assert.equal(file?.name, name);
  assert.equal(file?.mediaType, 'application/pdf');
  const stanza = again.wire.find((s) => s.attrs.id === message.id && s.is('message'));
  assert.ok(stanza?.getChild('encrypted', NS_OMEMO2), 'sent in OMEMO 2');
  assert.equal((await aliceStorage.messages.get(aliceJid, message.id))?.file?.name, name);
  assert.equal((await aliceStorage.uploads.list(aliceJid)).length, 0);
});

test('a file message written while offline leaves with the next run, its description beside it', async () => {
  const [aliceJid, bobJid] = [await person('alice'), await person('bob')];
  const bob = await device(bobJid);
  const aliceStorage = createMemoryStorage();
  const alice = await device(aliceJid, undefined, { storage: aliceStorage });
  const content = new Uint8Array(randomBytes(1200));
  const first = await alice.files.send(bobJid, content, { name: 'first.txt' });
  await arrived(bob, first.body);
  await clients.stop(alice.client);
  // Offline: the same file again, described anew, waits in the outbox unencrypted.
  const file = {
    name: 'again.txt',
    mediaType: 'text/plain',
    size: 1200,
    sha256: sha256Of(content),
  };
  const id = `later-${randomBytes(4).toString('hex')}`;
  await writeForLater(aliceStorage, {
    account: aliceJid,
    peer: bobJid,
    body: first.body,
    id,
    timestamp: Date.now(),
    file,
  });
  await device(aliceJid, undefined, { storage: aliceStorage });
  const got = await until(
    () =>
      bob.events.find(
        (event): event is Extract<MessengerEvent, { type: 'message' }> =>
          event.type === 'message' && event.message.originId === id,
      ),
    'the message written offline',
  );
  assert.equal(got.file?.name, 'again.txt');
  assert.equal(got.message.file?.name, 'again.txt');
});

test('an OMEMO 0.3 contact gets the aesgcm:// link and the file, and no description in the clear', async () => {
  const [carolJid, daveJid] = [await person('carol'), await person('dave')];
  const carol = await device(carolJid, ['0.3']);
  const dave = await device(daveJid);
  const content = new Uint8Array(randomBytes(4000));
  const sent = await dave.files.send(carolJid, content, {
    name: 'plan.pdf',
    mediaType: 'application/pdf',
  });
  const { file, message } = await arrived(carol, sent.body);
  assert.equal(file, undefined, 'OMEMO 0.3 carries no description');
  assert.match(message.body, /^aesgcm:\/\//);
  assert.deepEqual((await downloadFile(message.body)).bytes, content);
  const stanza = dave.wire.find((s) => s.attrs.id === sent.id && s.is('message'));
  assert.ok(stanza?.getChild('encrypted', NS_OMEMO_LEGACY), 'sent in OMEMO 0.3');
  assert.ok(stanza);
  assert.equal(stanza.toString().includes('plan.pdf'), false);
  assert.equal(stanza.toString().includes('file-sharing'), false);
});

test('bad descriptions: malformed or naming another file is a typed error and the message and its link are kept; a hash that does not match is an IntegrityError on download', async () => {
  const [erinJid, frankJid] = [await person('erin'), await person('frank')];
  const erin = await device(erinJid);
  const frank = await device(frankJid);
  const content = new Uint8Array(randomBytes(2000));
  const good = await erin.files.send(frankJid, content, { name: 'a.bin' });
  await arrived(frank, good.body);
  const link = parseAesgcmUrl(good.body);
  const described: SharedFile = {
    name: 'a.bin',
    mediaType: 'application/octet-stream',
    size: content.length,
    sha256: sha256Of(content),
    ...link,
  };
  const errors = () =>
    frank.events.flatMap((event) => (event.type === 'error' ? [event.error] : []));

  // Malformed: no <file/> at all.
  const noName = xml(
    'file-sharing',
    { xmlns: 'urn:xmpp:sfs:0' },
    ...buildFileSharing(described).getChildElements().slice(1),
  );
  await erin.client.messenger.sendText(frankJid, good.body, { elements: [noName] });
  // Naming another file than the link: another key.
  const other = buildFileSharing({ ...described, key: new Uint8Array(32).fill(1) });
  await erin.client.messenger.sendText(frankJid, good.body, { elements: [other] });
  const refused = await until(
    () => (errors().length >= 2 ? errors() : undefined),
    'two refused descriptions',
  );
  assert.ok(refused.every((error) => error instanceof FileSharingError));
  assert.deepEqual(refused.map((error) => (error as FileSharingError).reason).sort(), [
    'Malformed',
    'Mismatch',
  ]);
  const kept = (await frank.storage.messages.history(frankJid, erinJid, { limit: 10 })).filter(
    (m) => m.body === good.body,
  );
  assert.equal(kept.length, 3, 'every message kept, with its link');
  assert.ok(kept.every((m) => m.state === 'received' && m.encrypted));

  // A hash that does not match: the description is read, the download refused.
  const wrong = buildFileSharing({ ...described, sha256: sha256Of(new Uint8Array([1])) });
  const lying = await erin.client.messenger.sendText(frankJid, good.body, { elements: [wrong] });
  const { file } = await until(
    () =>
      frank.events.find(
        (event): event is Extract<MessengerEvent, { type: 'message' }> =>
          event.type === 'message' && event.message.originId === lying.id,
      ),
    'the message with the wrong hash',
  );
  assert.ok(file);
  const { bytes } = await downloadFile(good.body);
  assert.throws(() => verifySharedFile(bytes, file), { code: 'IntegrityError' });
});

test('a file described as other XEP-0447 clients send it, with only a fallback text or its address for a body, is kept under its aesgcm:// link', async () => {
  const [ginaJid, hankJid] = [await person('gina'), await person('hank')];
  const gina = await device(ginaJid);
  const hank = await device(hankJid);
  const content = new Uint8Array(randomBytes(1500));
  const good = await gina.files.send(hankJid, content, { name: 'first.bin' });
  await arrived(hank, good.body);
  const described: SharedFile = {
    name: 'photo.jpg',
    mediaType: 'image/jpeg',
    size: content.length,
    sha256: sha256Of(content),
    ...parseAesgcmUrl(good.body),
  };
  const fallback = xml(
    'fallback',
    { xmlns: 'urn:xmpp:fallback:0', for: 'urn:xmpp:sfs:0' },
    xml('body', {}),
  );
  const ids = [
    (
      await gina.client.messenger.sendText(hankJid, 'Shared a file: photo.jpg', {
        elements: [buildFileSharing(described), fallback],
      })
    ).id,
    (
      await gina.client.messenger.sendText(hankJid, described.url, {
        elements: [buildFileSharing(described)],
      })
    ).id,
  ];
  for (const id of ids) {
    const { message, file } = await until(
      () =>
        hank.events.find(
          (event): event is Extract<MessengerEvent, { type: 'message' }> =>
            event.type === 'message' && event.message.originId === id,
        ),
      `the message ${id}`,
    );
    assert.equal(message.body, good.body, 'kept under its aesgcm:// link');
    assert.equal(file?.name, 'photo.jpg');
    const { bytes } = await downloadFile(message.body);
    assert.ok(file);
    assert.deepEqual(verifySharedFile(bytes, file), content);
  }
  assert.deepEqual(
    hank.events.filter((event) => event.type === 'error'),
    [],
  );
});

test('python-twomemo reads a Hush file message with its description: the link arrives as the body', async () => {
  const hushJid = await person('hush');
  const twoJid = await person('two');
  const hush = await device(hushJid);
  const two = await peers.start('two', twoJid);
  const sent = await hush.files.send(twoJid, new Uint8Array(randomBytes(1000)), {
    name: 'for-twomemo.txt',
    mediaType: 'text/plain',
  });
  const got = await two.next(
    (event) => event.event === 'message' && event.body === sent.body,
    30_000,
  );
  assert.ok(got.event === 'message' && got.encrypted);
  const stanza = hush.wire.find((s) => s.attrs.id === sent.id && s.is('message'));
  assert.ok(stanza?.getChild('encrypted', NS_OMEMO2), 'sent in OMEMO 2');
});
