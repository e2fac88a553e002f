// OMEMO between Hush devices against a real Prosody: first contact, several devices per account,
// offline catch-up, prekey refill, signed prekey rotation, changed identities, broken input,
// trust, and no plaintext on the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  startProsody,
  trustCertificateAuthority,
  type ProsodyServer,
  until,
} from '@hush/test-utils';
import xml from '@xmpp/xml';
import { openSession } from '../xmpp/session.ts';
import { createMemoryStorage } from '../storage/memory.ts';
import type { OmemoDevice, Storage, StoredMessage } from '../storage/types.ts';
import { startClient, type HushClient } from '../client.ts';
import type { OmemoEvent } from './omemo.ts';
import { fetchBundle } from './pep.ts';
import { NS_OMEMO_LEGACY } from './bundle.ts';
import { fingerprintOf } from './trust.ts';
import { ensureIdentity, isRetiredPreKey, RETIRED_PREKEY } from './keys.ts';
import { FALLBACK_BODY, NS_HINTS, buildEncrypted, encryptPayload } from './message.ts';
import { SignalStore } from './signal-store.ts';
import { Sessions } from './sessions.ts';

const DAY = 24 * 60 * 60 * 1000;
let server: ProsodyServer;
const open: HushClient[] = [];

before(async () => {
  server = await startProsody();
  trustCertificateAuthority(server.caCert);
});

let people = 0;
/** A new account for each test, so devices of earlier tests never join in. */
async function person(name: string): Promise<string> {
  const username = `${name}${++people}`;
  await server.createAccount(username, PASSWORD);
  return username;
}
const PASSWORD = 'omemo-test-password';
after(async () => {
  await Promise.all(open.map(async (c) => (await c.close(), await c.session.close())));
  await server?.stop();
});

interface Device {
  readonly client: HushClient;
  readonly storage: Storage;
  readonly jid: string;
  readonly omemoEvents: OmemoEvent[];
}

async function device(
  name: string,
  options: {
    storage?: Storage;
    now?: () => number;
    preKeyCount?: number;
    encryption?: boolean;
  } = {},
): Promise<Device> {
  const storage = options.storage ?? createMemoryStorage();
  const session = await openSession({
    service: server.websocketUrl,
    jid: `${name}@localhost`,
    password: PASSWORD,
  });
  const omemoEvents: OmemoEvent[] = [];
  const client = await startClient({
    session,
    storage,
    encryption: options.encryption ?? true,
    // OMEMO 0.3 between two Hush devices: the wire format these tests read (OMEMO 2's are in
    // ../omemo2/).
    omemo: {
      versions: ['0.3'],
      ...(options.now ? { now: options.now } : {}),
      ...(options.preKeyCount ? { keyPolicy: { preKeyCount: options.preKeyCount } } : {}),
    },
    onOmemoEvent: (event) => omemoEvents.push(event),
  });
  open.push(client);
  return { client, storage, jid: `${name}@localhost`, omemoEvents };
}

async function stop(device: Device): Promise<void> {
  const index = open.indexOf(device.client);
  if (index >= 0) open.splice(index, 1);
  await device.client.close();
  await device.client.session.close();
}

async function history(device: Device, peer: string): Promise<StoredMessage[]> {
  return device.storage.messages.history(device.jid, peer, { limit: 500 });
}

async function received(device: Device, peer: string, body: string): Promise<StoredMessage> {
  return until(
    async () => (await history(device, peer)).find((m) => m.body === body),
    `${device.jid} to have "${body}"`,
  ).catch(async (e) => {
    if (process.env.DEBUG_OMEMO) console.log(await history(device, peer), device.omemoEvents);
    throw e;
  });
}

/** Every raw stanza a session receives, to look at what travelled. */
function tap(device: Device): Element[] {
  const seen: Element[] = [];
  device.client.session.onStanza((stanza) => seen.push(stanza as unknown as Element));
  return seen;
}
type Element = ReturnType<typeof xml>;

test('first contact both ways with two devices on each side: everything decrypts everywhere, the first key is a PreKey message, and the server keeps no plaintext', async () => {
  const aliceName = await person('alice');
  const bobName = await person('bob');
  const marker = `marker-${randomUUID()}`;
  const alice = await device(aliceName);
  const alicePhone = await device(aliceName);
  const bob = await device(bobName);
  const bobPhone = await device(bobName);
  const bobRaw = tap(bob);

  const first = await alice.client.messenger.sendText(
    `${bobName}@localhost`,
    `${marker} hello bob`,
  );
  for (const side of [bob, bobPhone]) {
    const message = await received(side, `${aliceName}@localhost`, `${marker} hello bob`);
    assert.equal(message.encrypted, true);
    assert.equal(message.state, 'received');
  }
  // The sender's other device gets its own copy (a carbon it can decrypt).
  const copy = await received(alicePhone, `${bobName}@localhost`, `${marker} hello bob`);
  assert.equal(copy.direction, 'out');
  await until(
    async () =>
      (await alice.storage.messages.get(`${aliceName}@localhost`, first.id))?.state === 'delivered',
    'delivered',
  );
  const stanza = bobRaw.find((s) => s.getChild('encrypted', NS_OMEMO_LEGACY));
  assert.ok(stanza, 'bob saw an OMEMO stanza');
  const keys = stanza
    .getChild('encrypted', NS_OMEMO_LEGACY)
    ?.getChild('header')
    ?.getChildren('key');
  assert.ok(keys && keys.length === 3, 'keys for bob, bob phone and alice phone');
  assert.ok(
    keys.every((key) => key.attrs.prekey === 'true'),
    'first contact uses PreKey messages',
  );
  assert.ok(!stanza.getChildText('body')?.includes(marker), 'the fallback body holds no plaintext');
  assert.ok(stanza.getChild('encryption', 'urn:xmpp:eme:0'));
  assert.equal(stanza.getChildren('store', 'urn:xmpp:hints').length, 1, 'one store hint');
  const iv = stanza.getChild('encrypted', NS_OMEMO_LEGACY)?.getChild('header')?.getChildText('iv');
  assert.equal(Buffer.from(iv ?? '', 'base64').length, 12);

  await bobPhone.client.messenger.sendText(`${aliceName}@localhost`, `${marker} hi alice`);
  for (const side of [alice, alicePhone]) {
    const message = await received(side, `${bobName}@localhost`, `${marker} hi alice`);
    assert.equal(message.encrypted, true);
  }
  await received(bob, `${aliceName}@localhost`, `${marker} hi alice`);
  // Replies in established sessions are no longer PreKey messages.
  const before = bobRaw.length;
  await alice.client.messenger.sendText(`${bobName}@localhost`, `${marker} second`);
  await received(bob, `${aliceName}@localhost`, `${marker} second`);
  const second = bobRaw
    .slice(before)
    .find((s) => s.getChild('encrypted', NS_OMEMO_LEGACY))
    ?.getChild('encrypted', NS_OMEMO_LEGACY)
    ?.getChild('header')
    ?.getChildren('key')
    .find((key) => key.attrs.rid === String(bobPhone.client.omemo?.deviceId));
  assert.ok(second && second.attrs.prekey !== 'true', 'bob answered, so no more PreKey messages');

  for (const d of [alice, alicePhone, bob, bobPhone]) {
    for (const message of await history(
      d,
      d === alice || d === alicePhone ? `${bobName}@localhost` : `${aliceName}@localhost`,
    )) {
      assert.notEqual(message.state, 'undecryptable', `${d.jid}: ${message.failure?.message}`);
    }
  }
  // Nothing of the plaintext reached the server's disk or logs.
  assert.equal(await serverHas(marker), false);
});

async function serverHas(marker: string): Promise<boolean> {
  if ((await server.readLogs()).includes(marker)) return true;
  const stack = [server.dataDir];
  while (stack.length > 0) {
    const dir = stack.pop() ?? '';
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else if (entry.isFile() && (await readFile(path)).includes(marker)) return true;
    }
  }
  return false;
}

test('a recipient who was offline decrypts from the archive, and a PreKey message seen again from the archive breaks nothing', async () => {
  const carolName = await person('carol');
  const daveName = await person('dave');
  const carolStorage = createMemoryStorage();
  const carol = await device(carolName, { storage: carolStorage });
  const dave = await device(daveName);
  await dave.client.messenger.sendText(`${carolName}@localhost`, 'before you left');
  await received(carol, `${daveName}@localhost`, 'before you left');
  await stop(carol);
  for (let i = 0; i < 5; i++)
    await dave.client.messenger.sendText(`${carolName}@localhost`, `offline ${i}`);
  await until(async () => dave.client.messenger.getSnapshot().pending === 0, 'acked');
  // Back online with the same storage: catch-up from the archive decrypts all of it.
  const back = await device(carolName, { storage: carolStorage });
  for (let i = 0; i < 5; i++) {
    const message = await received(back, `${daveName}@localhost`, `offline ${i}`);
    assert.equal(message.encrypted, true);
    assert.equal(message.state, 'received');
  }
  // Forget where the archive was read up to: every message, the first PreKey one included, comes
  // again from the archive. None may turn undecryptable or appear twice, and the session still works.
  const account = await carolStorage.accounts.get(`${carolName}@localhost`);
  assert.ok(account);
  await stop(back);
  await carolStorage.accounts.put({ ...account, mamLastStanzaId: '' });
  const again = await device(carolName, { storage: carolStorage });
  await dave.client.messenger.sendText(`${carolName}@localhost`, 'still fine');
  await received(again, `${daveName}@localhost`, 'still fine');
  const all = await history(again, `${daveName}@localhost`);
  assert.equal(all.filter((m) => m.body === 'before you left').length, 1);
  assert.ok(
    all.every((m) => m.state !== 'undecryptable'),
    'nothing undecryptable',
  );
  await again.client.messenger.sendText(`${daveName}@localhost`, 'reply');
  await received(dave, `${carolName}@localhost`, 'reply');
});

test('one-time prekeys are refilled when used; the used one is never published again', async () => {
  const erinName = await person('erin');
  const frankName = await person('frank');
  const erin = await device(erinName, { preKeyCount: 3 });
  const erinId = erin.client.omemo?.deviceId ?? 0;
  const bundle = await fetchBundle(erin.client.session, `${erinName}@localhost`, erinId);
  assert.equal(bundle.preKeys.length, 3);
  const used = new Set<number>();
  // Five new devices each open a session: more than the three published prekeys.
  for (let i = 0; i < 5; i++) {
    const frank = await device(frankName);
    const seenBefore = new Set(
      (await fetchBundle(frank.client.session, `${erinName}@localhost`, erinId)).preKeys.map(
        (p) => p.id,
      ),
    );
    await frank.client.messenger.sendText(`${erinName}@localhost`, `from new device ${i}`);
    await received(erin, `${frankName}@localhost`, `from new device ${i}`);
    const after = await until(async () => {
      const now = await fetchBundle(erin.client.session, `${erinName}@localhost`, erinId);
      const ids = now.preKeys.map((p) => p.id);
      return ids.some((id) => !seenBefore.has(id)) ? ids : undefined;
    }, 'the bundle to be refilled');
    assert.equal(after.length, 3);
    for (const id of seenBefore) if (!after.includes(id)) used.add(id);
    for (const id of used) assert.ok(!after.includes(id), `used prekey ${id} published again`);
    await stop(frank);
  }
  assert.equal(used.size, 5);
  // Three in the bundle; the five used ones kept aside, retired (two people may pick the same one).
  const stored = await erin.storage.omemo.listPreKeys(`${erinName}@localhost`);
  assert.equal(stored.filter((key) => !isRetiredPreKey(key.keyId)).length, 3);
  assert.deepEqual(
    stored
      .filter((key) => isRetiredPreKey(key.keyId))
      .map((key) => key.keyId - RETIRED_PREKEY)
      .sort(),
    [...used].sort(),
  );
});

test('the signed prekey is rotated on schedule; the old one still decrypts during the grace period, then goes', async () => {
  const aliceName = await person('alice');
  const graceName = await person('grace');
  const graceJid = `${graceName}@localhost`;
  let clock = Date.now();
  const graceStorage = createMemoryStorage();
  const grace = await device(graceName, { now: () => clock, storage: graceStorage });
  const graceId = grace.client.omemo?.deviceId ?? 0;
  const oldBundle = await fetchBundle(grace.client.session, graceJid, graceId);
  await stop(grace);
  // Alice builds her session from the bundle published before the rotation; grace is away.
  const alice = await device(aliceName);
  await alice.client.messenger.sendText(graceJid, 'built on the old signed prekey');
  await until(async () => alice.client.messenger.getSnapshot().pending === 0, 'acked');
  // Eight days later grace comes back: the key is rotated before the catch-up decrypts anything.
  clock += 8 * DAY;
  const back = await device(graceName, { now: () => clock, storage: graceStorage });
  const newBundle = await fetchBundle(back.client.session, graceJid, graceId);
  assert.notEqual(newBundle.signedPreKey.id, oldBundle.signedPreKey.id);
  assert.equal((await graceStorage.omemo.listSignedPreKeys(graceJid)).length, 2);
  const old = await received(back, `${aliceName}@localhost`, 'built on the old signed prekey');
  assert.equal(old.state, 'received');
  // After the grace period (30 days after it was replaced) the old key is gone.
  clock += 31 * DAY;
  await back.client.omemo?.maintain();
  const left = (await graceStorage.omemo.listSignedPreKeys(graceJid)).map((k) => k.keyId);
  assert.ok(!left.includes(oldBundle.signedPreKey.id), 'the old signed prekey was removed');
  assert.ok(left.includes(newBundle.signedPreKey.id), 'its successor is still in its grace period');
  assert.equal(left.length, 2);
});

test('a changed identity key is never trusted silently: the message fails with UntrustedIdentity until the person trusts the new key', async () => {
  const aliceName = await person('alice');
  const bobName = await person('bob');
  const bobStorage = createMemoryStorage();
  const alice = await device(aliceName);
  const bob = await device(bobName, { storage: bobStorage });
  const message = await alice.client.messenger.sendText(
    `${bobName}@localhost`,
    'before the change',
  );
  await received(bob, `${aliceName}@localhost`, 'before the change');
  const bobId = bob.client.omemo?.deviceId ?? 0;
  const identity = await bobStorage.omemo.getIdentity(`${bobName}@localhost`);
  assert.ok(identity && message);
  await stop(bob);
  // The same device id comes back with new keys (a reinstall that kept its id, or an attacker).
  const reinstalled = createMemoryStorage();
  const made = await ensureIdentity(
    createMemoryStorage().omemo,
    `${bobName}@localhost`,
    (n) => new Uint8Array(randomBytes(n)),
    Date.now(),
  );
  const newIdentity = { ...made, deviceId: bobId };
  await reinstalled.omemo.putIdentity(`${bobName}@localhost`, newIdentity);
  const bobAgain = await device(bobName, { storage: reinstalled });
  assert.equal(bobAgain.client.omemo?.deviceId, bobId);
  // Bob's reinstalled device cannot read the history it downloads, so it repairs the session: its
  // key-transport message shows alice the new key.
  await until(
    () => alice.omemoEvents.some((e) => e.type === 'identity-changed' && e.deviceId === bobId),
    'alice to notice the new key',
  );
  const bobSaw = (await history(bobAgain, `${aliceName}@localhost`)).length;
  const blocked = await alice.client.messenger.sendText(`${bobName}@localhost`, 'to the new key');
  const failed = await until(async () => {
    const m = await alice.storage.messages.get(`${aliceName}@localhost`, blocked.id);
    return m?.state === 'failed' ? m : undefined;
  }, 'the message to fail');
  assert.equal(failed.failure?.code, 'UntrustedIdentity');
  const changed = (await alice.client.omemo?.devices(`${bobName}@localhost`, false))?.find(
    (d) => d.deviceId === bobId,
  );
  assert.equal(changed?.trust, 'untrusted');
  assert.equal(changed?.fingerprint, fingerprintOf(newIdentity.publicKey));
  // The person trusts the new key: the retry goes through.
  await alice.client.omemo?.trust(`${bobName}@localhost`, fingerprintOf(newIdentity.publicKey));
  assert.equal(await alice.client.messenger.retry(blocked.id), true);
  await received(bobAgain, `${aliceName}@localhost`, 'to the new key');
  // It arrived once, after the decision: nothing had reached bob before it.
  assert.equal((await history(bobAgain, `${aliceName}@localhost`)).length, bobSaw + 1);
});

test('fail closed: a contact without OMEMO gets nothing, and the message fails with NoOmemoDevice', async () => {
  const aliceName = await person('alice');
  const plainName = await person('plain');
  const alice = await device(aliceName);
  const plain = await device(plainName, { encryption: false });
  const sent = await alice.client.messenger.sendText(`${plainName}@localhost`, 'secret');
  const failed = await until(async () => {
    const m = await alice.storage.messages.get(`${aliceName}@localhost`, sent.id);
    return m?.state === 'failed' ? m : undefined;
  }, 'failed');
  assert.equal(failed.failure?.code, 'NoOmemoDevice');
  // A stanza alice's stream sends after the refusal: once it has arrived, anything sent before it
  // would have too (the server keeps one sender's order).
  await alice.client.session.send(
    xml(
      'message',
      { to: `${plainName}@localhost`, type: 'chat', id: 'marker' },
      xml('body', {}, 'marker'),
    ),
  );
  await received(plain, `${aliceName}@localhost`, 'marker');
  assert.deepEqual(
    (await history(plain, `${aliceName}@localhost`)).map((m) => m.body),
    ['marker'],
    'nothing of the refused message reached the server or the contact',
  );
  assert.equal((await alice.storage.outbox.list(`${aliceName}@localhost`)).length, 0);
});

test('broken input: tampered ciphertext, truncated Signal message, bad base64, unknown device, malformed header: each stored as undecryptable with a typed reason, and the session keeps working', async () => {
  const aliceName = await person('alice');
  const bobName = await person('bob');
  const alice = await device(aliceName);
  const bob = await device(bobName);
  const bobId = bob.client.omemo?.deviceId ?? 0;
  await alice.client.messenger.sendText(`${bobName}@localhost`, 'warm up');
  await received(bob, `${aliceName}@localhost`, 'warm up');
  await bob.client.messenger.sendText(`${aliceName}@localhost`, 'warm up back');
  await received(alice, `${bobName}@localhost`, 'warm up back');

  // Capture a real encrypted stanza alice would send, to tamper with copies of it.
  const omemo = alice.client.omemo;
  assert.ok(omemo);
  const make = async (body: string) =>
    omemo.encrypt({
      to: `${bobName}@localhost`,
      body,
      stanza: xml(
        'message',
        { to: `${bobName}@localhost`, type: 'chat', id: randomUUID() },
        xml('body', {}, body),
      ),
    });
  const variants: [string, (stanza: Element) => void][] = [
    [
      'tampered payload',
      (stanza) => {
        const payload = stanza.getChild('encrypted', NS_OMEMO_LEGACY)?.getChild('payload');
        const bytes = Buffer.from(payload?.text() ?? '', 'base64');
        bytes[0] = (bytes[0] ?? 0) ^ 0xff;
        payload?.children.splice(0, payload.children.length, bytes.toString('base64'));
      },
    ],
    [
      'truncated key',
      (stanza) => {
        const key = keyFor(stanza, bobId);
        const bytes = Buffer.from(key?.text() ?? '', 'base64');
        key?.children.splice(0, key.children.length, bytes.subarray(0, 20).toString('base64'));
      },
    ],
    [
      'bad base64',
      (stanza) => {
        const key = keyFor(stanza, bobId);
        key?.children.splice(0, key.children.length, '!!!not base64***');
      },
    ],
    [
      'unknown device',
      (stanza) => {
        const key = keyFor(stanza, bobId);
        if (key) key.attrs.rid = '12345';
      },
    ],
    [
      'malformed header',
      (stanza) => {
        const header = stanza.getChild('encrypted', NS_OMEMO_LEGACY)?.getChild('header');
        if (header) header.attrs.sid = 'not-a-number';
      },
    ],
  ];
  for (const [name, damage] of variants) {
    const stanza = await make(`secret ${name}`);
    damage(stanza);
    await alice.client.session.send(stanza);
  }
  const broken = await until(async () => {
    const all = (await history(bob, `${aliceName}@localhost`)).filter(
      (m) => m.state === 'undecryptable',
    );
    return all.length >= variants.length ? all : undefined;
  }, 'five undecryptable messages');
  const codes = broken.map((m) => m.failure?.code).sort();
  assert.deepEqual(codes, [
    'NotEncryptedForDevice',
    'Undecryptable',
    'Undecryptable',
    'Undecryptable',
    'Undecryptable',
  ]);
  assert.ok(broken.every((m) => m.encrypted && m.body === ''));
  // The session survived: new messages still decrypt both ways.
  await alice.client.messenger.sendText(`${bobName}@localhost`, 'after the noise');
  await received(bob, `${aliceName}@localhost`, 'after the noise');
  await bob.client.messenger.sendText(`${aliceName}@localhost`, 'heard you');
  await received(alice, `${bobName}@localhost`, 'heard you');
});

function keyFor(stanza: Element, rid: number): Element | undefined {
  return stanza
    .getChild('encrypted', NS_OMEMO_LEGACY)
    ?.getChild('header')
    ?.getChildren('key')
    .find((key) => key.attrs.rid === String(rid));
}

test('a message whose session is gone is undecryptable and triggers a repair; the next message decrypts', async () => {
  const aliceName = await person('alice');
  const bobName = await person('bob');
  const alice = await device(aliceName);
  const bobStorage = createMemoryStorage();
  const bob = await device(bobName, { storage: bobStorage });
  const aliceId = alice.client.omemo?.deviceId ?? 0;
  await alice.client.messenger.sendText(`${bobName}@localhost`, 'one');
  await received(bob, `${aliceName}@localhost`, 'one');
  await bob.client.messenger.sendText(`${aliceName}@localhost`, 'two');
  await received(alice, `${bobName}@localhost`, 'two');
  const bobId = bob.client.omemo?.deviceId ?? 0;
  const aliceSession = () =>
    alice.storage.omemo.getSession(`${aliceName}@localhost`, `${bobName}@localhost`, bobId);
  const before = await aliceSession();
  // Bob loses his session with alice's device (a restored backup, a bug elsewhere).
  await bobStorage.omemo.removeSession(`${bobName}@localhost`, `${aliceName}@localhost`, aliceId);
  await alice.client.messenger.sendText(`${bobName}@localhost`, 'lost');
  const lost = await until(
    async () =>
      (await history(bob, `${aliceName}@localhost`)).find((m) => m.state === 'undecryptable'),
    'undecryptable',
  );
  assert.equal(lost.failure?.code, 'Undecryptable');
  await until(
    () => bob.omemoEvents.some((e) => e.type === 'repair' && e.deviceId === aliceId),
    'a repair',
  );
  // Alice received the key-transport message, which started a new session (a new base key in her
  // record; her own sending of 'lost' changed the record too, but not its keys): the next decrypts.
  const baseKeys = (record: string | undefined): string[] =>
    record
      ? Object.keys((JSON.parse(record) as { sessions: Record<string, unknown> }).sessions)
      : [];
  const oldKeys = baseKeys(before);
  await until(
    async () => baseKeys(await aliceSession()).some((key) => !oldKeys.includes(key)),
    "alice's new session from bob's repair",
  );
  await alice.client.messenger.sendText(`${bobName}@localhost`, 'repaired');
  await received(bob, `${aliceName}@localhost`, 'repaired');
});

test('trust: fingerprints, verification by xmpp: URI, a wrong code refused, distrust stops keys, stale devices get none', async () => {
  const aliceName = await person('alice');
  const carolName = await person('carol');
  let clock = Date.now();
  const alice = await device(aliceName, { now: () => clock });
  const carol = await device(carolName);
  const uri = await carol.client.omemo?.verificationUri();
  const carolFingerprint = await carol.client.omemo?.fingerprint();
  assert.ok(uri && carolFingerprint);
  assert.match(
    uri,
    new RegExp(
      `^xmpp:${carolName}@localhost\\?omemo-sid-${carol.client.omemo?.deviceId}=[0-9a-f]{64}$`,
    ),
  );
  await alice.client.messenger.sendText(`${carolName}@localhost`, 'hello carol');
  await received(carol, `${aliceName}@localhost`, 'hello carol');
  const verified = await alice.client.omemo?.verifyUri(uri);
  assert.equal(verified?.[0]?.trust, 'verified');
  assert.equal(verified?.[0]?.fingerprint, carolFingerprint);
  // A code with another key for the same device is refused.
  const wrong = uri.replace(/=[0-9a-f]{64}$/, `=${'ab'.repeat(32)}`);
  await assert.rejects(alice.client.omemo?.verifyUri(wrong) ?? Promise.resolve(), {
    name: 'OmemoDeviceError',
    code: 'UntrustedIdentity',
    jid: `${carolName}@localhost`,
    deviceId: carol.client.omemo?.deviceId,
    fingerprint: 'ab'.repeat(32),
  });
  // A fingerprint no device of carol's has: which person, which key.
  await assert.rejects(
    alice.client.omemo?.verify(`${carolName}@localhost`, 'cd'.repeat(32)) ?? Promise.resolve(),
    { code: 'NoOmemoDevice', jid: `${carolName}@localhost`, fingerprint: 'cd'.repeat(32) },
  );
  // Distrusted: no key for it, so with no other device the message fails.
  await alice.client.omemo?.distrust(`${carolName}@localhost`, carolFingerprint);
  const refused = await alice.client.messenger.sendText(`${carolName}@localhost`, 'not for you');
  const failed = await until(async () => {
    const m = await alice.storage.messages.get(`${aliceName}@localhost`, refused.id);
    return m?.state === 'failed' ? m : undefined;
  }, 'failed');
  assert.ok(
    failed.failure?.code === 'NoTrustedDevice' || failed.failure?.code === 'UntrustedIdentity',
  );
  // What the refused device still sends is shown, marked as coming from a refused device.
  await carol.client.messenger.sendText(`${aliceName}@localhost`, 'from a refused device');
  const marked = await received(alice, `${carolName}@localhost`, 'from a refused device');
  assert.equal(marked.state, 'received');
  assert.equal(marked.failure?.code, 'UntrustedSender');
  await alice.client.omemo?.verify(`${carolName}@localhost`, carolFingerprint);
  await carol.client.messenger.sendText(`${aliceName}@localhost`, 'verified again');
  assert.equal(
    (await received(alice, `${carolName}@localhost`, 'verified again')).failure,
    undefined,
  );
  // 91 days without a message from carol's device: it is stale and gets no keys.
  clock += 91 * DAY;
  const devices = await alice.client.omemo?.devices(`${carolName}@localhost`);
  assert.equal(devices?.find((d) => d.deviceId === carol.client.omemo?.deviceId)?.stale, true);
  const stale = await alice.client.messenger.sendText(`${carolName}@localhost`, 'anyone there?');
  const staleFailed = await until(async () => {
    const m = await alice.storage.messages.get(`${aliceName}@localhost`, stale.id);
    return m?.state === 'failed' ? m : undefined;
  }, 'failed');
  assert.equal(staleFailed.failure?.code, 'NoTrustedDevice');
});

test('an empty key-transport message builds the session: nothing is shown, and the answer needs no bundle', async () => {
  const aliceName = await person('alice');
  const bobName = await person('bob');
  const alice = await device(aliceName);
  const bob = await device(bobName);
  const aliceRaw = tap(alice);
  await alice.client.omemo?.sendKeyTransport(`${bobName}@localhost`);
  // Bob now has a session with alice's device without any message to show.
  const aliceId = alice.client.omemo?.deviceId ?? 0;
  await until(
    async () =>
      (await bob.storage.omemo.getSession(
        `${bobName}@localhost`,
        `${aliceName}@localhost`,
        aliceId,
      )) !== undefined || undefined,
    'bob to have the session',
  );
  assert.equal((await history(bob, `${aliceName}@localhost`)).length, 0);
  await bob.client.messenger.sendText(`${aliceName}@localhost`, 'over the built session');
  await received(alice, `${bobName}@localhost`, 'over the built session');
  const key = aliceRaw
    .find((s) => s.getChild('encrypted', NS_OMEMO_LEGACY))
    ?.getChild('encrypted', NS_OMEMO_LEGACY)
    ?.getChild('header')
    ?.getChildren('key')
    .find((k) => k.attrs.rid === String(aliceId));
  assert.ok(key);
  assert.notEqual(key.attrs.prekey, 'true', 'bob answered in the session alice built');
});

test('a PreKey message is answered with a key-transport message: the sender stops sending PreKey messages without a reply', async () => {
  const aliceName = await person('alice');
  const bobName = await person('bob');
  const alice = await device(aliceName);
  const bob = await device(bobName);
  const aliceRaw = tap(alice);
  const bobRaw = tap(bob);
  const bobId = String(bob.client.omemo?.deviceId);
  const keyForBob = (stanza: Element | undefined) =>
    stanza
      ?.getChild('encrypted', NS_OMEMO_LEGACY)
      ?.getChild('header')
      ?.getChildren('key')
      .find((k) => k.attrs.rid === bobId);
  const withPayload = () =>
    bobRaw.filter((s) => s.getChild('encrypted', NS_OMEMO_LEGACY)?.getChild('payload'));

  await alice.client.messenger.sendText(`${bobName}@localhost`, 'first, never answered');
  await received(bob, `${aliceName}@localhost`, 'first, never answered');
  assert.equal(keyForBob(withPayload()[0])?.attrs.prekey, 'true');
  // Bob writes nothing; his app answers the PreKey message with an empty key-transport message.
  await until(
    () =>
      aliceRaw.some((s) => {
        const encrypted = s.getChild('encrypted', NS_OMEMO_LEGACY);
        return encrypted !== undefined && !encrypted.getChild('payload');
      }),
    "bob's key-transport answer",
  );
  assert.equal((await history(alice, `${bobName}@localhost`)).length, 1, 'nothing to show');
  await alice.client.messenger.sendText(`${bobName}@localhost`, 'second');
  await received(bob, `${aliceName}@localhost`, 'second');
  const second = keyForBob(withPayload()[1]);
  assert.ok(second);
  assert.notEqual(second.attrs.prekey, 'true', 'the session is complete on both sides');
});

test('after verification, a new device waits for a decision however it is first learnt (its PreKey message live, a carbon, the archive): its messages are marked and it gets no keys until trusted', async () => {
  const aliceName = await person('alice');
  const bobName = await person('bob');
  const aliceJid = `${aliceName}@localhost`;
  const bobJid = `${bobName}@localhost`;
  // A hostile server can keep a device out of the lists it serves and still pass on its messages:
  // while `hideNewOwn` is set, alice's first device never learns of a new device of her own from
  // her device list, so the carbon below is how it first hears of one.
  let hideNewOwn = false;
  const base = createMemoryStorage();
  const aliceStorage: Storage = {
    ...base,
    omemo: new Proxy(base.omemo, {
      get(target, property) {
        if (property === 'putDevice') {
          return async (account: string, d: OmemoDevice) => {
            const listedOnly = d.jid === aliceJid && !d.identityKey;
            if (hideNewOwn && listedOnly && !(await target.getDevice(account, d.jid, d.deviceId)))
              return;
            await target.putDevice(account, d);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    }),
  };
  const alice = await device(aliceName, { storage: aliceStorage });
  const alicePhone = await device(aliceName);
  const bob = await device(bobName);
  const bobRaw = tap(bob);
  await alice.client.messenger.sendText(bobJid, 'hello bob');
  await received(bob, aliceJid, 'hello bob');
  await received(alicePhone, bobJid, 'hello bob');
  // Alice checks bob's device and her own phone: from now on, new devices of either wait for her.
  for (const other of [bob, alicePhone]) {
    const uri = await other.client.omemo?.verificationUri();
    assert.ok(uri);
    assert.equal((await alice.client.omemo?.verifyUri(uri))?.[0]?.trust, 'verified');
  }
  const trustOf = async (jid: string, deviceId: number | undefined) =>
    (await alice.client.omemo?.devices(jid, false))?.find((d) => d.deviceId === deviceId)?.trust;

  // Live: bob's new device writes first; alice learns of it from its PreKey message.
  const bobTablet = await device(bobName);
  const tabletId = bobTablet.client.omemo?.deviceId;
  await bobTablet.client.messenger.sendText(aliceJid, 'from the tablet');
  const live = await received(alice, bobJid, 'from the tablet');
  assert.equal(live.state, 'received');
  assert.equal(live.failure?.code, 'UntrustedSender');
  assert.equal(await trustOf(bobJid, tabletId), 'untrusted');

  // Once the tablet is in the device list alice reads, it still gets no key.
  assert.ok((await alice.client.omemo?.devices(bobJid))?.some((d) => d.deviceId === tabletId));
  assert.equal(await trustOf(bobJid, tabletId), 'untrusted');
  const before = bobRaw.length;
  await alice.client.messenger.sendText(bobJid, 'for the checked device only');
  await received(bob, aliceJid, 'for the checked device only');
  const rids = bobRaw
    .slice(before)
    .find((s) => s.getChild('encrypted', NS_OMEMO_LEGACY))
    ?.getChild('encrypted', NS_OMEMO_LEGACY)
    ?.getChild('header')
    ?.getChildren('key')
    .map((key) => Number(key.attrs.rid));
  assert.ok(rids?.includes(bob.client.omemo?.deviceId ?? -1), 'a key for the verified device');
  assert.ok(rids && !rids.includes(tabletId ?? -1), 'no key for the undecided device');

  // A carbon: alice's own new laptop writes to bob; alice's first device gets the copy.
  hideNewOwn = true;
  const aliceLaptop = await device(aliceName);
  const laptopId = aliceLaptop.client.omemo?.deviceId;
  await aliceLaptop.client.messenger.sendText(bobJid, 'from the laptop');
  const carbon = await received(alice, bobJid, 'from the laptop');
  assert.equal(carbon.direction, 'out');
  assert.equal(carbon.failure?.code, 'UntrustedSender');
  assert.equal(await trustOf(aliceJid, laptopId), 'untrusted');
  hideNewOwn = false;

  // The archive: bob's next new device writes while alice is away.
  await stop(alice);
  const bobWatch = await device(bobName);
  const watchId = bobWatch.client.omemo?.deviceId;
  await bobWatch.client.messenger.sendText(aliceJid, 'from the watch');
  await until(async () => bobWatch.client.messenger.getSnapshot().pending === 0, 'acked');
  const aliceBack = await device(aliceName, { storage: aliceStorage });
  const archived = await received(aliceBack, bobJid, 'from the watch');
  assert.equal(archived.failure?.code, 'UntrustedSender');
  assert.equal(
    (await aliceBack.client.omemo?.devices(bobJid, false))?.find((d) => d.deviceId === watchId)
      ?.trust,
    'untrusted',
  );

  // Alice decides: the tablet is bob's. Its messages are no longer marked.
  const tablet = (await aliceBack.client.omemo?.devices(bobJid, false))?.find(
    (d) => d.deviceId === tabletId,
  );
  assert.ok(tablet?.fingerprint);
  await aliceBack.client.omemo?.trust(bobJid, tablet.fingerprint);
  await bobTablet.client.messenger.sendText(aliceJid, 'trusted now');
  assert.equal((await received(aliceBack, bobJid, 'trusted now')).failure, undefined);
});

test('key material longer than 32 bytes is refused: the message is kept as undecryptable, not read from its first 32 bytes', async () => {
  const bobName = await person('bob');
  const malloryName = await person('mallory');
  const bob = await device(bobName);
  const bobId = bob.client.omemo?.deviceId ?? 0;
  const malloryJid = `${malloryName}@localhost`;
  // Mallory's own OMEMO client: a real session with bob's device, but padded key material.
  const session = await openSession({
    service: server.websocketUrl,
    jid: malloryJid,
    password: PASSWORD,
  });
  try {
    const random = (n: number) => new Uint8Array(randomBytes(n));
    const store = createMemoryStorage().omemo;
    const identity = await ensureIdentity(store, malloryJid, random, Date.now());
    const signal = new SignalStore(store, malloryJid, Date.now, () => undefined);
    const sessions = new Sessions({
      session,
      store,
      signal,
      account: malloryJid,
      randomBytes: random,
      onIdentityChanged: () => undefined,
      report: (error) => assert.fail(String(error)),
    });
    const { payload, iv, keyMaterial } = encryptPayload('padded secret', random);
    const padded = new Uint8Array(keyMaterial.length + 1);
    padded.set(keyMaterial);
    const keys = await sessions.encryptKey(
      [{ jid: `${bobName}@localhost`, deviceId: bobId }],
      padded,
    );
    assert.equal(keys.length, 1);
    await session.send(
      xml(
        'message',
        { to: `${bobName}@localhost`, type: 'chat', id: randomUUID() },
        buildEncrypted({ sid: identity.deviceId, keys, iv, payload }),
        xml('body', {}, FALLBACK_BODY),
        xml('store', { xmlns: NS_HINTS }),
      ),
    );
    const kept = await until(
      async () => (await history(bob, malloryJid))[0],
      'the message from mallory to be stored',
    );
    assert.equal(kept.state, 'undecryptable');
    assert.equal(kept.failure?.code, 'Undecryptable');
    assert.match(kept.failure?.message ?? '', /33 bytes/);
    assert.equal(kept.body, '');
  } finally {
    await session.close();
  }
});

test('a plain message in an encrypted conversation is stored marked Unencrypted, and still shown', async () => {
  const aliceName = await person('alice');
  const bobName = await person('bob');
  const alice = await device(aliceName);
  const bob = await device(bobName);
  await alice.client.messenger.sendText(`${bobName}@localhost`, 'encrypted first');
  await received(bob, `${aliceName}@localhost`, 'encrypted first');
  // What a server (or a client without OMEMO) can put in the conversation: a plain body.
  await alice.client.session.send(
    xml(
      'message',
      { to: `${bobName}@localhost`, type: 'chat', id: randomUUID() },
      xml('body', {}, 'plain words'),
    ),
  );
  const plain = await received(bob, `${aliceName}@localhost`, 'plain words');
  assert.equal(plain.state, 'received');
  assert.equal(plain.encrypted, false);
  assert.equal(plain.failure?.code, 'Unencrypted');
  assert.equal(
    (await received(bob, `${aliceName}@localhost`, 'encrypted first')).failure,
    undefined,
  );
});
