import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProsody, type ProsodyServer } from './prosody.ts';
import {
  startOmemoPeerOn,
  type OmemoPeer,
  type OmemoPeerEvent,
  type PeerMessage,
} from './omemo-peer.ts';

const messageFrom =
  (from: string) =>
  (event: OmemoPeerEvent): event is PeerMessage =>
    event.event === 'message' && event.from === from;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

const password = 'a throwaway test password';

interface World {
  server: ProsodyServer;
  work: string;
  aliceJid: string;
  bobJid: string;
  /** Every peer start() started. */
  peers: readonly OmemoPeer[];
  /** Starts a peer as `jid`, its data directory and log under `work` named `name`. */
  start(jid: string, name: string): Promise<OmemoPeer>;
}

/**
 * Runs `body` on a Prosody of its own with the accounts alice and bob; the peers it started, the
 * server and the work folder are gone afterwards, whatever happened.
 */
async function onServer(body: (world: World) => Promise<void>): Promise<void> {
  const server = await startProsody();
  const work = await mkdtemp(join(tmpdir(), 'hush-omemo-peer-'));
  const peers: OmemoPeer[] = [];
  try {
    const [aliceJid, bobJid] = await Promise.all([
      server.createAccount('alice', password),
      server.createAccount('bob', password),
    ]);
    const start = async (jid: string, name: string) => {
      const peer = await startOmemoPeerOn(server, { jid, password, work, name });
      peers.push(peer);
      return peer;
    };
    await body({ server, work, aliceJid, bobJid, peers, start });
  } finally {
    await Promise.all(peers.map((peer) => peer.stop()));
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

const failures = (peer: OmemoPeer) =>
  peer.events.filter((event) => event.event === 'undecryptable' || event.event === 'error');

test('two python-omemo peers exchange OMEMO 0.3 messages and XEP-0454 files through Prosody', async () => {
  await onServer(async ({ server, work, aliceJid, bobJid, peers, start }) => {
    const [alice, bob] = await Promise.all([start(aliceJid, 'alice'), start(bobJid, 'bob')]);
    assert.notEqual(alice.deviceId, bob.deviceId);
    assert.match(alice.fingerprint, /^[0-9a-f]{64}$/);
    assert.notEqual(alice.fingerprint, bob.fingerprint);

    // The marker goes into every plaintext; the server must never hold it.
    const marker = `plaintext-marker-${randomUUID()}`;

    // Alice starts the session from Bob's published bundle: a pre-key message.
    await alice.send(bobJid, `${marker} first from alice`);
    const first = await bob.next(messageFrom(aliceJid));
    assert.deepEqual(
      {
        body: first.body,
        prekey: first.prekey,
        encrypted: first.encrypted,
        device: first.senderDevice,
      },
      { body: `${marker} first from alice`, prekey: true, encrypted: true, device: alice.deviceId },
    );

    // Bob answers on the session Alice built: in OMEMO 0.3 (the Signal protocol) only the side that
    // started a session sends pre-key messages, so Bob's first message is a normal one.
    await bob.send(aliceJid, `${marker} first from bob`);
    const reply = await alice.next(messageFrom(bobJid));
    assert.deepEqual(
      { body: reply.body, prekey: reply.prekey, device: reply.senderDevice },
      { body: `${marker} first from bob`, prekey: false, device: bob.deviceId },
    );

    // Alice has heard from Bob, so her session is confirmed and she stops sending pre-key messages.
    await alice.send(bobJid, `${marker} second from alice`);
    const second = await bob.next(messageFrom(aliceJid));
    assert.deepEqual(
      { body: second.body, prekey: second.prekey },
      { body: `${marker} second from alice`, prekey: false },
    );
    await bob.send(aliceJid, `${marker} second from bob`);
    const secondReply = await alice.next(messageFrom(bobJid));
    assert.deepEqual(
      { body: secondReply.body, prekey: secondReply.prekey },
      { body: `${marker} second from bob`, prekey: false },
    );

    // Files both ways: the marker at the start, random bytes after it (and across the GCM block size).
    for (const [sender, receiver, from, to] of [
      [alice, bob, aliceJid, bobJid],
      [bob, alice, bobJid, aliceJid],
    ] as const) {
      const content = Buffer.concat([Buffer.from(`${marker} file\n`), randomBytes(100_003)]);
      const path = join(work, `from-${from}.bin`);
      await writeFile(path, content);
      const sent = await sender.sendFile(to, path);
      assert.match(sent.url, /^aesgcm:\/\/localhost:\d+\/[^#]+#[0-9a-f]{88}$/);
      assert.equal(sent.sha256, createHash('sha256').update(content).digest('hex'));
      const link = await receiver.next(messageFrom(from));
      assert.equal(link.body, sent.url);
      const file = await receiver.next((event) => event.event === 'file' && event.from === from);
      assert.ok(file.event === 'file');
      assert.equal(file.sha256, sent.sha256);
      assert.equal(file.size, content.length);
      assert.deepEqual(await readFile(file.path), content);
    }

    for (const peer of [alice, bob]) assert.deepEqual(failures(peer), []);
    await Promise.all(peers.map((peer) => peer.stop()));

    const dataFiles = await filesUnder(server.dataDir);
    const stored = await Promise.all(dataFiles.map((file) => readFile(file)));
    // The scan looks where messages and uploads are kept: the archive holds the encrypted messages.
    assert.ok(stored.some((content) => content.includes('eu.siacs.conversations.axolotl')));
    for (const [index, content] of stored.entries()) {
      assert.equal(content.includes(marker), false, `${dataFiles[index]} holds a plaintext`);
    }
    assert.equal(
      (await server.readLogs()).includes(marker),
      false,
      'the server log holds a plaintext',
    );
  });
});

test('a second device of the account reads what the first sends, and a note to self arrives once', async () => {
  await onServer(async ({ aliceJid, bobJid, peers, start }) => {
    const [phone, laptop, bob] = await Promise.all([
      start(aliceJid, 'phone'),
      start(aliceJid, 'laptop'),
      start(bobJid, 'bob'),
    ]);

    // The phone encrypts for Bob and for the laptop; the laptop sees it as a sent carbon.
    const sent = await phone.send(bobJid, 'from the phone');
    const copy = await laptop.next(messageFrom(aliceJid));
    assert.deepEqual(
      { id: copy.id, to: copy.to, carbon: copy.carbon, body: copy.body, device: copy.senderDevice },
      { id: sent.id, to: bobJid, carbon: 'sent', body: 'from the phone', device: phone.deviceId },
    );
    assert.equal((await bob.next(messageFrom(aliceJid))).body, 'from the phone');

    // Bob's answer reaches both devices: on the phone's session a normal message, while for the laptop
    // Bob starts a session of his own, so the laptop gets a pre-key message.
    await bob.send(aliceJid, 'to both devices');
    for (const [device, prekey] of [
      [phone, false],
      [laptop, true],
    ] as const) {
      const answer = await device.next(messageFrom(bobJid));
      assert.deepEqual(
        { body: answer.body, prekey: answer.prekey, device: answer.senderDevice },
        { body: 'to both devices', prekey, device: bob.deviceId },
      );
    }

    // A note to self reaches the phone directly and as a carbon of the laptop's sent message.
    const note = await laptop.send(aliceJid, 'note to self');
    const received = await phone.next(messageFrom(aliceJid));
    assert.equal(received.body, 'note to self');
    await bob.send(aliceJid, 'after the note');
    await phone.next((event) => event.event === 'message' && event.body === 'after the note');
    const copies = phone.events.filter(
      (event) => event.event === 'message' && event.id === note.id,
    );
    assert.equal(copies.length, 1);
    for (const peer of peers) assert.deepEqual(failures(peer), []);
  });
});
