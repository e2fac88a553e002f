// Files and voice messages end to end on a real Prosody: encrypted on the device, uploaded, the
// aesgcm:// link sent over OMEMO, downloaded and checked on every device of both sides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serverSuite, tone, until } from '@hush/test-utils';
import { testClients } from '@hush/test-utils/sessions';
import { quickFileSender, uploadsCut } from '@hush/test-utils/files';
import { createMemoryStorage } from '../storage/memory.ts';
import type { Storage, StoredMessage } from '../storage/types.ts';
import type { HushClient } from '../client.ts';
import { FileSender } from './file-sender.ts';
import { downloadFile } from './download.ts';
import { checkVoiceLimits, inspectFile } from '../voice/index.ts';
import type { FetchFunction } from './types.ts';

const PASSWORD = 'files-test-password';
const clients = testClients(() => suite.server);

const suite = serverSuite({
  scratch: 'hush-files-',
  closeFirst: () => clients.closeAll(),
});

const person = (name: string) => suite.newAccount(name, PASSWORD);

interface Device {
  readonly jid: string;
  readonly client: HushClient;
  readonly storage: Storage;
  readonly files: FileSender;
}

async function device(
  jid: string,
  storage: Storage = createMemoryStorage(),
  fetch?: FetchFunction,
): Promise<Device> {
  const { client } = await clients.start(jid, PASSWORD, { storage });
  return { jid, client, storage, files: quickFileSender(client, storage, fetch) };
}

const stop = (device: Device) => clients.stop(device.client);

/** The file message from `peer` whose link downloads to bytes with this sha256. */
async function receivedFile(device: Device, peer: string, sha256: string) {
  const checked = new Set<string>();
  return until(async () => {
    const all = (await device.storage.messages.history(device.jid, peer, { limit: 100 })).filter(
      (m: StoredMessage) => m.body.startsWith('aesgcm://') && !checked.has(m.id),
    );
    for (const message of all) {
      checked.add(message.id);
      const { bytes } = await downloadFile(message.body);
      if (sha(bytes) === sha256) return { message, bytes };
    }
    return undefined;
  }, `${device.jid} to get the file ${sha256}`);
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const toneFile = (seconds: number, file: string, args: string[]) =>
  tone(join(suite.scratch, file), seconds, args);

test('a file and a voice message both ways, two devices on each side: every device gets the same bytes, and the server stores only ciphertext', async () => {
  const [aliceJid, bobJid] = [await person('alice'), await person('bob')];
  const alice = await device(aliceJid);
  const alicePhone = await device(aliceJid);
  const bob = await device(bobJid);
  const bobPhone = await device(bobJid);

  const marker = Buffer.from(`file-marker-${randomBytes(8).toString('hex')}`);
  const document = new Uint8Array(Buffer.concat([marker, randomBytes(300_000), marker]));
  const sent = await alice.files.send(bobJid, document);
  assert.match(sent.body, /^aesgcm:\/\/localhost:\d+\/.+#[0-9a-f]{88}$/);
  for (const side of [bob, bobPhone]) {
    const { bytes } = await receivedFile(side, aliceJid, sha(document));
    assert.equal(inspectFile(bytes).kind, 'file');
  }
  await receivedFile(alicePhone, bobJid, sha(document));

  const voice = await toneFile(3.2, 'voice.m4a', ['-c:a', 'aac', '-b:a', '48k']);
  const info = checkVoiceLimits(voice);
  assert.equal(info.codec, 'aac');
  await bobPhone.files.send(aliceJid, voice);
  for (const side of [alice, alicePhone]) {
    const { bytes, message } = await receivedFile(side, bobJid, sha(voice));
    assert.equal(message.encrypted, true);
    const got = inspectFile(bytes);
    assert.equal(got.kind, 'voice');
    assert.ok(Math.abs((got.audio?.durationMs ?? 0) - 3200) <= 50, `${got.audio?.durationMs} ms`);
  }
  await receivedFile(bob, aliceJid, sha(document));

  // What the server keeps is ciphertext: neither the marker nor the audio's bytes are on its disk.
  for (const needle of [marker, Buffer.from(voice.subarray(1000, 1064))]) {
    assert.equal(await serverHas(needle), false);
  }
  assert.equal((await alice.storage.uploads.list(aliceJid)).length, 0);
});

async function serverHas(needle: Buffer): Promise<boolean> {
  const stack = [suite.server.dataDir];
  let files = 0;
  while (stack.length > 0) {
    const dir = stack.pop() ?? '';
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else if (entry.isFile()) {
        files++;
        if ((await readFile(path)).includes(needle)) return true;
      }
    }
  }
  assert.ok(files > 0, 'the data directory was searched');
  return (await suite.server.readLogs()).includes(needle.toString('latin1'));
}

test('refused before any upload: a file over the server limit and a voice message over 5 minutes', async () => {
  const [aliceJid, bobJid] = [await person('alice'), await person('bob')];
  let puts = 0;
  const counting: FetchFunction = (url, init) => {
    if (init?.method === 'PUT') puts++;
    return fetch(url, init);
  };
  const alice = await device(aliceJid, createMemoryStorage(), counting);
  await device(bobJid);
  await assert.rejects(alice.files.send(bobJid, new Uint8Array(10 * 1024 * 1024 + 1)), {
    code: 'FileTooLarge',
  });
  const long = await toneFile(301, 'long.ogg', ['-c:a', 'libopus', '-b:a', '6k']);
  assert.throws(() => checkVoiceLimits(long), { code: 'VoiceTooLong' });
  assert.equal(puts, 0);
  assert.equal((await alice.storage.uploads.list(aliceJid)).length, 0);
  assert.equal((await alice.storage.messages.history(aliceJid, bobJid, { limit: 10 })).length, 0);
});

test('an upload cut by the network stays pending and is sent after a restart', async () => {
  const [aliceJid, bobJid] = [await person('alice'), await person('bob')];
  const bob = await device(bobJid);
  const aliceStorage = createMemoryStorage();
  const alice = await device(aliceJid, aliceStorage, uploadsCut);
  const file = new Uint8Array(randomBytes(200_000));
  await assert.rejects(alice.files.send(bobJid, file), { code: 'UploadFailed' });
  const [pending] = await aliceStorage.uploads.list(aliceJid);
  assert.ok(pending && pending.attempts >= 1);
  assert.equal(sha(pending.ciphertext) === sha(file), false, 'kept encrypted');
  await stop(alice);
  // The app starts again, the network is back.
  const again = await device(aliceJid, aliceStorage);
  const { sent, failed } = await again.files.resume();
  assert.deepEqual(failed, []);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]?.id, pending.id);
  await receivedFile(bob, aliceJid, sha(file));
  assert.equal((await aliceStorage.uploads.list(aliceJid)).length, 0);
});

test('a dead link and a tampered file are typed errors for the receiver', async () => {
  const [aliceJid, bobJid] = [await person('alice'), await person('bob')];
  const alice = await device(aliceJid);
  await device(bobJid);
  const message = await alice.files.send(bobJid, new Uint8Array(randomBytes(1000)));
  // Another upload id on the same server: what an expired (deleted) file looks like.
  const dead = message.body.replace(/\/[^/]+\/([^/#]+)#/, '/0123456789abcdef0123/$1#');
  assert.notEqual(dead, message.body);
  await assert.rejects(downloadFile(dead), { code: 'LinkExpired' });
  // Flip one byte of the ciphertext where the server stores it.
  const stored = await findFileOfSize(suite.server.dataDir, 1000 + 16);
  const bytes = await readFile(stored);
  bytes[500] = (bytes[500] ?? 0) ^ 0x01;
  await writeFile(stored, bytes);
  await assert.rejects(downloadFile(message.body), { code: 'IntegrityError' });
  const tampered = message.body.replace(
    /#([0-9a-f])/,
    (_, c: string) => `#${c === '0' ? '1' : '0'}`,
  );
  await assert.rejects(downloadFile(tampered), { code: 'IntegrityError' });
});

async function findFileOfSize(root: string, size: number): Promise<string> {
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop() ?? '';
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else if (entry.isFile() && (await stat(path)).size === size) return path;
    }
  }
  throw new Error(`no stored file of ${size} bytes`);
}
