// A CLI profile database from before core took over the queries: fixtures/v4-cli-profile.sqlite.gz
// is the file (gzipped, byte for byte) that storage-node's own synchronous SQL code wrote at commit
// 6dab2bf, schema version 4, through openSqliteStorage and the calls whose results are spelled out
// below. Opening it must apply only the migrations that came later (5: the saved login; 6: a file's
// description), read every record as that code wrote it, and go on working on the same rows.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { gunzipSync } from 'node:zlib';
import type { OmemoDevice, PendingUpload, StoredMessage } from '@hush/core';
import { openSqliteStorage } from './sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'hush-profile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const alice = 'alice@hush.test';
const bob = 'bob@hush.test';
const carol = 'carol@hush.test';

/** The bytes the fixture was written with. */
const bytesOf = (seed: number, length: number): Uint8Array =>
  Uint8Array.from({ length }, (_, i) => (seed * 131 + i * 7 + 1) & 0xff);
const publicKey = (seed: number): Uint8Array => Uint8Array.of(5, ...bytesOf(seed, 32));

const account = {
  jid: alice,
  service: 'xmpps://hush.test:5223',
  password: 'correct horse',
  resource: 'hush-cli-1',
  mamLastStanzaId: 'arch-2',
};

const sent: StoredMessage = {
  id: 'm1',
  account: alice,
  peer: bob,
  direction: 'out',
  body: 'hello bob',
  timestamp: 1000,
  originId: 'o1',
  stanzaId: 'arch-1',
  state: 'read',
  encrypted: true,
};
const received: StoredMessage = {
  ...sent,
  id: 'm2',
  direction: 'in',
  body: 'hi alice 👋',
  timestamp: 2000,
  originId: 'o2',
  stanzaId: 'arch-2',
  state: 'received',
};
const failed: StoredMessage = {
  id: 'm3',
  account: alice,
  peer: bob,
  direction: 'out',
  body: 'are you there?',
  timestamp: 2000,
  originId: 'o3',
  state: 'failed',
  failure: { code: 'Timeout', message: 'no ack' },
  encrypted: false,
};
const undecryptable: StoredMessage = {
  id: 'm4',
  account: alice,
  peer: carol,
  direction: 'in',
  body: '',
  timestamp: 3000,
  state: 'undecryptable',
  failure: { code: 'DecryptionFailed', message: 'no session' },
  encrypted: true,
};
const plain: StoredMessage = {
  id: 'm5',
  account: alice,
  peer: carol,
  direction: 'in',
  body: 'plain ü',
  timestamp: 4000,
  state: 'received',
  encrypted: false,
};

const outboxEntry = {
  id: 'e3',
  account: alice,
  messageId: 'm3',
  stanzaXml: '<message id="m3" to="bob@hush.test"><body>are you there?</body></message>',
  attempts: 2,
  createdAt: 2000,
};

const devices: OmemoDevice[] = [
  {
    jid: alice,
    deviceId: 654321,
    identityKey: publicKey(60),
    trust: 'untrusted',
    active: true,
    firstSeen: 1200,
    lastSeen: 3000,
  },
  {
    jid: bob,
    deviceId: 7,
    identityKey: publicKey(50),
    trust: 'verified',
    active: true,
    firstSeen: 1000,
    lastSeen: 2000,
  },
  { jid: bob, deviceId: 8, trust: 'blind', active: false, firstSeen: 1500, lastSeen: 1500 },
];

const waiting: PendingUpload = {
  id: 'u1',
  account: alice,
  peer: bob,
  ciphertext: bytesOf(70, 80),
  key: bytesOf(71, 32),
  iv: bytesOf(72, 12),
  createdAt: 3000,
  attempts: 1,
};
const uploaded: PendingUpload = {
  id: 'u2',
  account: alice,
  peer: carol,
  ciphertext: bytesOf(80, 40),
  key: bytesOf(81, 32),
  iv: bytesOf(82, 12),
  createdAt: 3000,
  attempts: 2,
  url: 'https://upload.hush.test/u2/encrypted',
};

function schemaRows(file: string): unknown[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db.prepare('SELECT version, applied_at FROM schema_version ORDER BY version').all();
  } finally {
    db.close();
  }
}

it('opens a CLI profile written by the earlier storage-node and reads and extends it', async () => {
  const file = join(dir, 'hush.db');
  const fixture = new URL('./fixtures/v4-cli-profile.sqlite.gz', import.meta.url);
  writeFileSync(file, gunzipSync(readFileSync(fixture)), { mode: 0o600 });
  const versions = schemaRows(file);
  assert.equal(versions.length, 4);

  const storage = await openSqliteStorage(file);
  const migrated = schemaRows(file);
  assert.deepEqual(migrated.slice(0, 4), versions);
  assert.equal(migrated.length, 6);
  try {
    assert.deepEqual(await storage.accounts.list(), [account]);
    assert.deepEqual(await storage.messages.history(alice, bob, { limit: 10 }), [
      sent,
      received,
      failed,
    ]);
    assert.deepEqual(await storage.messages.history(alice, carol, { limit: 10 }), [
      undecryptable,
      plain,
    ]);
    assert.deepEqual(await storage.messages.conversations(alice), [
      { peer: carol, lastMessage: plain, unread: 2 },
      { peer: bob, lastMessage: failed, unread: 1 },
    ]);
    assert.deepEqual(await storage.outbox.list(alice), [outboxEntry]);

    const { omemo } = storage;
    assert.deepEqual(await omemo.getIdentity(alice), {
      deviceId: 123456,
      registrationId: 42,
      publicKey: publicKey(1),
      privateKey: bytesOf(2, 32),
      createdAt: 900,
    });
    assert.deepEqual(
      await omemo.listPreKeys(alice),
      [1, 3].map((keyId) => ({
        keyId,
        publicKey: publicKey(10 + keyId),
        privateKey: bytesOf(20 + keyId, 32),
      })),
    );
    assert.deepEqual(await omemo.listSignedPreKeys(alice), [
      {
        keyId: 2,
        publicKey: publicKey(41),
        privateKey: bytesOf(42, 32),
        signature: bytesOf(43, 64),
        createdAt: 100,
      },
      {
        keyId: 1,
        publicKey: publicKey(31),
        privateKey: bytesOf(32, 32),
        signature: bytesOf(33, 64),
        createdAt: 500,
      },
    ]);
    assert.equal(await omemo.getSession(alice, bob, 7), '{"session":"bob-7"}');
    assert.deepEqual(await omemo.listDevices(alice), devices);
    assert.deepEqual(await storage.uploads.list(alice), [waiting, uploaded]);

    // It goes on from there: old rows still deduplicate, new ones come after them.
    const echo = { ...received, id: 'another-copy', stanzaId: 'live-copy' };
    assert.deepEqual(await storage.messages.add(echo), { stored: received, duplicate: true });
    const archived = { ...plain, id: 'x', peer: bob, stanzaId: 'arch-1' };
    assert.deepEqual(await storage.messages.add(archived), { stored: sent, duplicate: true });
    const next = { ...plain, id: 'm6', timestamp: 4000, body: 'new' };
    assert.equal((await storage.messages.add(next)).duplicate, false);
    assert.deepEqual(
      (await storage.messages.history(alice, carol, { limit: 2 })).map((m) => m.id),
      ['m5', 'm6'],
    );
    assert.equal(await storage.messages.updateState(alice, 'm3', 'pending'), true);
    assert.equal(await storage.outbox.update(alice, 'e3', { attempts: 3 }), true);
    assert.equal(await storage.uploads.update(alice, 'u1', { attempts: 2 }), true);
    assert.deepEqual(await storage.uploads.get(alice, 'u1'), { ...waiting, attempts: 2 });
    await storage.accounts.put({ ...account, mamLastStanzaId: 'arch-9' });
  } finally {
    await storage.close();
  }

  // Nothing was migrated again, and the changes are in the file for the next run.
  assert.deepEqual(schemaRows(file), migrated);
  const again = await openSqliteStorage(file);
  try {
    assert.equal((await again.accounts.get(alice))?.mamLastStanzaId, 'arch-9');
    assert.equal((await again.messages.get(alice, 'm3'))?.state, 'pending');
    assert.equal((await again.outbox.list(alice))[0]?.attempts, 3);
    assert.equal((await again.uploads.get(alice, 'u1'))?.attempts, 2);
  } finally {
    await again.close();
  }
});
