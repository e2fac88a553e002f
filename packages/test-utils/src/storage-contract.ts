// The behaviour every Storage backend promises, written once and run against each of them: core's
// memory.test.ts and sql.test.ts, sqlite.test.ts in @hush/storage-node, indexeddb.test.ts in the
// app. Test support lives here, outside every shipped package, so no bundle can reach node:test.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type {
  FileDescription,
  MessageState,
  OmemoDevice,
  OmemoIdentity,
  OmemoPreKey,
  OmemoSignedPreKey,
  OutboxEntry,
  PendingUpload,
  Storage,
  StoredMessage,
} from '@hush/core';

export type MakeStorage = () => Promise<Storage>;

const alice = 'alice@hush.test';
const bob = 'bob@hush.test';
const carol = 'carol@hush.test';

/** A message from alice's point of view; fields the test does not care about get defaults. */
export function message(fields: Partial<StoredMessage> & { id: string }): StoredMessage {
  const direction = fields.direction ?? 'in';
  return {
    account: alice,
    peer: bob,
    direction,
    body: `body of ${fields.id}`,
    timestamp: 1_000,
    state: direction === 'in' ? 'received' : 'pending',
    encrypted: true,
    ...fields,
  };
}

function outboxEntry(fields: Partial<OutboxEntry> & { id: string }): OutboxEntry {
  return {
    account: alice,
    messageId: `msg-${fields.id}`,
    stanzaXml: `<message id="${fields.id}"/>`,
    attempts: 0,
    createdAt: 1_000,
    ...fields,
  };
}

/** `length` bytes that depend on `seed`, so keys made from different seeds differ. */
export function testBytes(seed: number, length = 32): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed * 131 + i * 7 + 1) & 0xff);
}

/** A 33-byte Curve25519 public key as OMEMO publishes it, with its 0x05 type prefix. */
const publicKey = (seed: number): Uint8Array => Uint8Array.of(0x05, ...testBytes(seed));

export function omemoIdentity(deviceId: number, seed = deviceId): OmemoIdentity {
  return {
    deviceId,
    registrationId: (seed % 16380) + 1,
    publicKey: publicKey(seed),
    privateKey: testBytes(seed + 1),
    createdAt: 1_000 + seed,
  };
}

export function omemoPreKey(keyId: number, seed = keyId): OmemoPreKey {
  return { keyId, publicKey: publicKey(seed), privateKey: testBytes(seed + 1) };
}

export function omemoSignedPreKey(
  keyId: number,
  createdAt: number,
  seed = keyId,
): OmemoSignedPreKey {
  return { ...omemoPreKey(keyId, seed), signature: testBytes(seed + 2, 64), createdAt };
}

/** A device of bob's that alice's client knows; fields the test does not care about get defaults. */
export function omemoDevice(fields: Partial<OmemoDevice> & { deviceId: number }): OmemoDevice {
  return { ...keylessOmemoDevice(fields), identityKey: publicKey(fields.deviceId), ...fields };
}

/** Like omemoDevice, but no bundle or message has brought its identity key yet. */
export function keylessOmemoDevice(
  fields: Partial<Omit<OmemoDevice, 'identityKey'>> & { deviceId: number },
): OmemoDevice {
  return { jid: bob, trust: 'blind', active: true, firstSeen: 1_000, lastSeen: 2_000, ...fields };
}

/** An upload of alice's to bob; fields the test does not care about get defaults. */
export function pendingUpload(
  fields: Partial<PendingUpload> & { id: string },
  seed = 1,
): PendingUpload {
  return {
    account: alice,
    peer: bob,
    ciphertext: testBytes(seed, 100 + 16),
    key: testBytes(seed + 1, 32),
    iv: testBytes(seed + 2, 12),
    createdAt: 1_000,
    attempts: 0,
    ...fields,
  };
}

/** A file message's description; fields the test does not care about get defaults. */
export function fileDescription(fields: Partial<FileDescription> = {}, seed = 3): FileDescription {
  return {
    name: 'notes.txt',
    mediaType: 'text/plain',
    size: 5_000,
    sha256: testBytes(seed, 32),
    ...fields,
  };
}

/** `length` bytes filled fast enough for megabytes, and not all alike. */
function bigBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.imul(i, 0x9e3779b1) >>> 24;
  return bytes;
}

// Compared by hand: on a mismatch assert.deepEqual would try to print megabytes.
function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a?.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A plain Uint8Array, not a Buffer or another subclass, so a caller may treat it as one. */
function assertPlainBytes(value: Uint8Array | undefined): void {
  assert.ok(value);
  assert.equal(Object.getPrototypeOf(value), Uint8Array.prototype);
}

/** Every message the storage holds for `account`, via the public API, in conversation order. */
export async function allMessages(storage: Storage, account: string): Promise<StoredMessage[]> {
  const all: StoredMessage[] = [];
  for (const { peer } of await storage.messages.conversations(account)) {
    all.push(...(await storage.messages.history(account, peer, { limit: 1_000_000 })));
  }
  return all;
}

/** A message arbitrary drawing from small pools, so ids, origin-ids and stanza-ids collide often. */
export const collidingMessage: fc.Arbitrary<StoredMessage> = fc
  .record(
    {
      account: fc.constantFrom(alice, carol),
      peer: fc.constantFrom(bob, carol, alice),
      id: fc.constantFrom('m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'),
      originId: fc.constantFrom('o0', 'o1', 'o2', 'o3'),
      stanzaId: fc.constantFrom('s0', 's1', 's2', 's3'),
      direction: fc.constantFrom('in' as const, 'out' as const),
      timestamp: fc.integer({ min: 0, max: 20 }),
      body: fc.string({ maxLength: 8 }),
      encrypted: fc.boolean(),
    },
    { requiredKeys: ['account', 'peer', 'id', 'direction', 'timestamp', 'body', 'encrypted'] },
  )
  .map((m) => ({
    ...m,
    state: m.direction === 'in' ? ('received' as const) : ('pending' as const),
  }));

export function storageContract(name: string, makeStorage: MakeStorage): void {
  async function withStorage(run: (storage: Storage) => Promise<void>): Promise<void> {
    const storage = await makeStorage();
    try {
      await run(storage);
    } finally {
      await storage.close();
    }
  }

  describe(`${name}: messages`, () => {
    it('stores a message and returns copies of it', () =>
      withStorage(async ({ messages }) => {
        const m = message({ id: 'm1', originId: 'o1', stanzaId: 's1' });
        assert.deepEqual(await messages.add(m), { stored: m, duplicate: false });
        assert.deepEqual(await messages.get(alice, 'm1'), m);
        assert.deepEqual(await messages.findByOriginId(alice, bob, 'o1'), m);
        assert.deepEqual(await messages.findByStanzaId(alice, 's1'), m);
        assert.equal(await messages.get(carol, 'm1'), undefined);
        assert.equal(await messages.get(alice, 'nope'), undefined);
        assert.equal(await messages.findByOriginId(alice, carol, 'o1'), undefined);
        const plain = message({ id: 'm2', body: 'ünïcödé 🎙️\n<xml & stuff>' });
        await messages.add(plain);
        assert.deepEqual(await messages.get(alice, 'm2'), plain);
        assert.equal('originId' in plain, false);
      }));

    it("keeps a file message's description with it, and none with a message without one", () =>
      withStorage(async (storage) => {
        const { messages } = storage;
        const described = message({
          id: 'f1',
          originId: 'of1',
          body: 'aesgcm://upload.hush.test/a/encrypted#00',
          file: fileDescription({ name: 'ünïcödé notes 🎙️.txt' }),
        });
        const voice = message({
          id: 'f2',
          direction: 'out',
          timestamp: 2_000,
          file: fileDescription({ name: 'voice.m4a', mediaType: 'audio/mp4', durationMs: 12_400 }),
        });
        const plain = message({ id: 'f3', timestamp: 3_000 });
        assert.deepEqual(await messages.add(described), { stored: described, duplicate: false });
        assert.deepEqual(await messages.add(voice), { stored: voice, duplicate: false });
        await messages.add(plain);
        assert.deepEqual(await messages.get(alice, 'f1'), described);
        assert.deepEqual(await messages.findByOriginId(alice, bob, 'of1'), described);
        assert.deepEqual(await messages.history(alice, bob, { limit: 10 }), [
          described,
          voice,
          plain,
        ]);
        const stored = await messages.get(alice, 'f3');
        assert.equal(stored && 'file' in stored, false);
        const got = await messages.get(alice, 'f2');
        assertPlainBytes(got?.file?.sha256);
        assert.equal(got?.file && 'durationMs' in got.file, true);
        assert.equal('durationMs' in ((await messages.get(alice, 'f1'))?.file ?? {}), false);
        // A returned copy changed by the caller changes nothing stored.
        got?.file?.sha256.fill(0);
        assert.deepEqual((await messages.get(alice, 'f2'))?.file, voice.file);
        // State changes, stanza-ids and copies keep the description as it was first stored.
        assert.equal(
          await messages.updateState(alice, 'f2', 'failed', { code: 'X', message: 'x' }),
          true,
        );
        assert.equal(await messages.updateState(alice, 'f2', 'pending'), true);
        assert.equal(await messages.setStanzaId(alice, 'f1', 'sf1'), true);
        const copy = message({
          id: 'other',
          originId: 'of1',
          file: fileDescription({ name: 'b' }),
        });
        assert.deepEqual(await messages.add(copy), {
          stored: { ...described, stanzaId: 'sf1' },
          duplicate: true,
        });
        assert.deepEqual((await messages.get(alice, 'f2'))?.file, voice.file);
        assert.deepEqual((await messages.conversations(alice))[0]?.lastMessage, plain);
        await messages.markRead(alice, bob, 5_000);
        assert.deepEqual(await messages.get(alice, 'f1'), {
          ...described,
          stanzaId: 'sf1',
          state: 'read',
        });
      }));

    it('deduplicates by (account, peer, origin-id)', () =>
      withStorage(async (storage) => {
        const { messages } = storage;
        const live = message({ id: 'live', originId: 'o1' });
        await messages.add(live);
        const carbon = message({ id: 'carbon', originId: 'o1', body: 'other copy' });
        assert.deepEqual(await messages.add(carbon), { stored: live, duplicate: true });
        assert.equal(await messages.get(alice, 'carbon'), undefined);
        // The same origin-id from another peer or for another account is another message.
        const fromCarol = await messages.add(message({ id: 'c', peer: carol, originId: 'o1' }));
        assert.equal(fromCarol.duplicate, false);
        const forCarol = await messages.add(message({ id: 'x', account: carol, originId: 'o1' }));
        assert.equal(forCarol.duplicate, false);
        assert.equal((await allMessages(storage, alice)).length, 2);
      }));

    it('deduplicates by (account, stanza-id) and by local id', () =>
      withStorage(async ({ messages }) => {
        const mam = message({ id: 'mam', stanzaId: 's1' });
        await messages.add(mam);
        const live = message({ id: 'live', stanzaId: 's1', originId: 'o9', peer: carol });
        assert.deepEqual(await messages.add(live), { stored: mam, duplicate: true });
        assert.equal(await messages.findByOriginId(alice, carol, 'o9'), undefined);
        const again = message({ id: 'mam', body: 'changed' });
        assert.deepEqual(await messages.add(again), { stored: mam, duplicate: true });
        const otherAccount = await messages.add(
          message({ id: 'mam', account: carol, stanzaId: 's1' }),
        );
        assert.equal(otherAccount.duplicate, false);
      }));

    it("takes the archive's stanza-id from a copy of our own sent message", () =>
      withStorage(async ({ messages }) => {
        const sent = message({ id: 'out1', direction: 'out', originId: 'o1' });
        await messages.add(sent);
        const echo = message({ id: 'echo', direction: 'out', originId: 'o1', stanzaId: 's7' });
        const result = await messages.add(echo);
        assert.equal(result.duplicate, true);
        assert.deepEqual(result.stored, { ...sent, stanzaId: 's7' });
        // A later MAM copy matches by stanza-id alone.
        const later = await messages.add(message({ id: 'mamcopy', stanzaId: 's7' }));
        assert.deepEqual(later, { stored: { ...sent, stanzaId: 's7' }, duplicate: true });
      }));

    it('never moves an outgoing state backwards', () =>
      withStorage(async ({ messages }) => {
        await messages.add(message({ id: 'o', direction: 'out' }));
        const state = async (): Promise<MessageState | undefined> =>
          (await messages.get(alice, 'o'))?.state;
        assert.equal(await messages.updateState(alice, 'o', 'pending'), false);
        assert.equal(await messages.updateState(alice, 'o', 'delivered'), true);
        assert.equal(await messages.updateState(alice, 'o', 'sent'), false, 'a late ack');
        assert.equal(await state(), 'delivered');
        assert.equal(await messages.updateState(alice, 'o', 'failed'), false);
        assert.equal(await messages.updateState(alice, 'o', 'read'), true);
        for (const s of ['pending', 'sent', 'delivered', 'failed', 'received'] as const) {
          assert.equal(await messages.updateState(alice, 'o', s), false, s);
        }
        assert.equal(await state(), 'read');
        assert.equal(await messages.updateState(alice, 'unknown', 'sent'), false);
        assert.equal(await messages.updateState(carol, 'o', 'sent'), false);
      }));

    it('fails, retries and clears the failure', () =>
      withStorage(async ({ messages }) => {
        await messages.add(message({ id: 'o', direction: 'out' }));
        const failure = { code: 'Timeout', message: 'no ack in 30 s' };
        assert.equal(await messages.updateState(alice, 'o', 'failed', failure), true);
        assert.deepEqual((await messages.get(alice, 'o'))?.failure, failure);
        assert.equal(await messages.updateState(alice, 'o', 'pending'), true, 'retry');
        const retried = await messages.get(alice, 'o');
        assert.equal(retried?.state, 'pending');
        assert.equal(retried && 'failure' in retried, false);
        assert.equal(await messages.updateState(alice, 'o', 'sent'), true);
        assert.equal(await messages.updateState(alice, 'o', 'failed', failure), true);
        assert.equal(await messages.updateState(alice, 'o', 'delivered'), true, 'late receipt');
        assert.equal((await messages.get(alice, 'o'))?.failure, undefined);
      }));

    it('moves incoming messages only to read, keeping why one was undecryptable', () =>
      withStorage(async ({ messages }) => {
        const failure = { code: 'DecryptionFailed', message: 'no session' };
        await messages.add(message({ id: 'u', state: 'undecryptable', failure }));
        await messages.add(message({ id: 'r' }));
        for (const s of ['pending', 'sent', 'delivered', 'failed', 'undecryptable'] as const) {
          assert.equal(await messages.updateState(alice, 'r', s), false, s);
        }
        assert.equal(await messages.updateState(alice, 'u', 'received'), false);
        assert.equal(await messages.updateState(alice, 'u', 'read'), true);
        assert.deepEqual(
          await messages.get(alice, 'u'),
          message({ id: 'u', state: 'read', failure }),
        );
        assert.equal(await messages.updateState(alice, 'u', 'read'), false);
      }));

    it('sets a stanza-id once, on one message', () =>
      withStorage(async ({ messages }) => {
        await messages.add(message({ id: 'a', direction: 'out' }));
        await messages.add(message({ id: 'b', direction: 'out' }));
        assert.equal(await messages.setStanzaId(alice, 'a', 's1'), true);
        assert.equal(await messages.setStanzaId(alice, 'a', 's2'), false, 'already has one');
        assert.equal(await messages.setStanzaId(alice, 'b', 's1'), false, 'taken');
        assert.equal(await messages.setStanzaId(alice, 'nope', 's3'), false);
        assert.equal((await messages.findByStanzaId(alice, 's1'))?.id, 'a');
        assert.equal((await messages.get(alice, 'b'))?.stanzaId, undefined);
        assert.equal((await messages.add(message({ id: 'c', stanzaId: 's1' }))).duplicate, true);
      }));

    it('pages history newest last, by timestamp then order of storing', () =>
      withStorage(async ({ messages }) => {
        for (const t of [3, 1, 5, 2, 4]) {
          await messages.add(message({ id: `t${t}`, timestamp: t * 1000 }));
        }
        await messages.add(message({ id: 'other', peer: carol, timestamp: 4500 }));
        const ids = (page: StoredMessage[]): string[] => page.map((m) => m.id);
        assert.deepEqual(ids(await messages.history(alice, bob, { limit: 2 })), ['t4', 't5']);
        const page2 = await messages.history(alice, bob, { limit: 2, before: 4000 });
        assert.deepEqual(ids(page2), ['t2', 't3']);
        const page3 = await messages.history(alice, bob, { limit: 2, before: 2000 });
        assert.deepEqual(ids(page3), ['t1']);
        assert.deepEqual(await messages.history(alice, bob, { limit: 2, before: 1000 }), []);
        assert.deepEqual(await messages.history(alice, bob, { limit: 0 }), []);
        assert.deepEqual(await messages.history(carol, bob, { limit: 10 }), []);
        const all = ids(await messages.history(alice, bob, { limit: 100 }));
        assert.deepEqual(all, ['t1', 't2', 't3', 't4', 't5']);
      }));

    it('pages through messages sharing a timestamp without skipping any', () =>
      withStorage(async ({ messages }) => {
        const stored = ['a', 'b', 'c', 'd', 'e'];
        for (const id of stored) await messages.add(message({ id, timestamp: 7000 }));
        await messages.add(message({ id: 'late', timestamp: 8000 }));
        const seen: string[] = [];
        let page = await messages.history(alice, bob, { limit: 2 });
        while (page.length > 0) {
          seen.unshift(...page.map((m) => m.id));
          const oldest = page[0];
          assert.ok(oldest);
          page = await messages.history(alice, bob, {
            limit: 2,
            before: oldest.timestamp,
            beforeId: oldest.id,
          });
        }
        assert.deepEqual(seen, [...stored, 'late']);
      }));

    it('lists conversations with unread counts and marks them read', () =>
      withStorage(async ({ messages }) => {
        await messages.add(message({ id: 'b1', timestamp: 1000 }));
        await messages.add(message({ id: 'b2', timestamp: 2000, state: 'undecryptable' }));
        await messages.add(message({ id: 'b3', timestamp: 3000, direction: 'out' }));
        await messages.add(message({ id: 'c1', timestamp: 2500, peer: carol }));
        await messages.add(message({ id: 'x', timestamp: 9000, account: carol, peer: bob }));
        const summary = async (): Promise<[string, string, number][]> =>
          (await messages.conversations(alice)).map((c) => [c.peer, c.lastMessage.id, c.unread]);
        assert.deepEqual(await summary(), [
          [bob, 'b3', 2],
          [carol, 'c1', 1],
        ]);
        assert.equal(await messages.markRead(alice, bob, 1500), 1);
        assert.deepEqual(await summary(), [
          [bob, 'b3', 2 - 1],
          [carol, 'c1', 1],
        ]);
        assert.equal(await messages.markRead(alice, bob, 3000), 1);
        assert.equal(await messages.markRead(alice, bob, 3000), 0);
        assert.equal((await messages.get(alice, 'b3'))?.state, 'pending', 'outgoing untouched');
        await messages.add(message({ id: 'c0', timestamp: 9999, peer: carol, direction: 'out' }));
        assert.deepEqual(await summary(), [
          [carol, 'c0', 1],
          [bob, 'b3', 0],
        ]);
        assert.deepEqual(await messages.conversations('nobody@hush.test'), []);
      }));

    it('never stores a copy twice, whatever the order of adds (property)', () =>
      fc.assert(
        fc.asyncProperty(fc.array(collidingMessage, { maxLength: 30 }), async (adds) => {
          await withStorage(async (storage) => {
            let storedCount = 0;
            for (const m of adds) {
              const { stored, duplicate } = await storage.messages.add(m);
              if (duplicate) {
                const sameKey =
                  stored.id === m.id ||
                  (m.stanzaId !== undefined && stored.stanzaId === m.stanzaId) ||
                  (m.originId !== undefined &&
                    stored.peer === m.peer &&
                    stored.originId === m.originId);
                assert.ok(sameKey, 'a duplicate shares a key with what was added');
                assert.equal(stored.account, m.account);
              } else {
                assert.deepEqual(stored, m);
                storedCount++;
              }
              assert.equal((await storage.messages.add(m)).duplicate, true, 'adding again');
            }
            const all = [
              ...(await allMessages(storage, alice)),
              ...(await allMessages(storage, carol)),
            ];
            assert.equal(all.length, storedCount);
            const keys = new Set<string>();
            for (const m of all) {
              for (const k of [
                `id ${m.account} ${m.id}`,
                m.stanzaId === undefined ? undefined : `stanza ${m.account} ${m.stanzaId}`,
                m.originId === undefined
                  ? undefined
                  : `origin ${m.account} ${m.peer} ${m.originId}`,
              ]) {
                if (k === undefined) continue;
                assert.equal(keys.has(k), false, `stored twice: ${k}`);
                keys.add(k);
              }
            }
          });
        }),
        { numRuns: 60 },
      ));
  });

  describe(`${name}: outbox`, () => {
    it('lists entries in creation order', () =>
      withStorage(async ({ outbox }) => {
        await outbox.put(outboxEntry({ id: 'e3', createdAt: 3000 }));
        await outbox.put(outboxEntry({ id: 'e1', createdAt: 1000 }));
        await outbox.put(outboxEntry({ id: 'e2a', createdAt: 2000 }));
        await outbox.put(outboxEntry({ id: 'e2b', createdAt: 2000 }));
        await outbox.put(outboxEntry({ id: 'other', account: carol, createdAt: 0 }));
        const ids = async (): Promise<string[]> => (await outbox.list(alice)).map((e) => e.id);
        assert.deepEqual(await ids(), ['e1', 'e2a', 'e2b', 'e3']);
        assert.deepEqual(await outbox.list(carol), [
          outboxEntry({ id: 'other', account: carol, createdAt: 0 }),
        ]);
        // Putting an entry again replaces it in place.
        await outbox.put(outboxEntry({ id: 'e2a', createdAt: 2000, attempts: 4 }));
        assert.deepEqual(await ids(), ['e1', 'e2a', 'e2b', 'e3']);
        assert.equal((await outbox.list(alice))[1]?.attempts, 4);
      }));

    it('removes acked entries and never resurrects them', () =>
      withStorage(async ({ outbox }) => {
        const entry = outboxEntry({
          id: 'e1',
          stanzaXml: '<message id="e1"><body>hi</body></message>',
        });
        await outbox.put(entry);
        await outbox.put(outboxEntry({ id: 'e2', createdAt: 2000 }));
        assert.equal(await outbox.update(alice, 'e1', { attempts: 1 }), true);
        assert.deepEqual((await outbox.list(alice))[0], {
          ...entry,
          attempts: 1,
        });
        assert.equal(await outbox.remove(carol, 'e1'), false);
        assert.equal(await outbox.remove(alice, 'e1'), true);
        assert.equal(await outbox.remove(alice, 'e1'), false);
        assert.equal(await outbox.update(alice, 'e1', { attempts: 2 }), false);
        assert.deepEqual(
          (await outbox.list(alice)).map((e) => e.id),
          ['e2'],
        );
      }));
  });

  describe(`${name}: omemo`, () => {
    it('keeps and replaces the identity of each account', () =>
      withStorage(async ({ omemo }) => {
        assert.equal(await omemo.getIdentity(alice), undefined);
        await omemo.putIdentity(alice, omemoIdentity(1_234_567));
        assert.deepEqual(await omemo.getIdentity(alice), omemoIdentity(1_234_567));
        assert.equal(await omemo.getIdentity(carol), undefined);
        // The largest device id and registration id OMEMO allows.
        const replaced = { ...omemoIdentity(2 ** 31 - 1, 7), registrationId: 16380 };
        await omemo.putIdentity(alice, replaced);
        assert.deepEqual(await omemo.getIdentity(alice), replaced);
        await omemo.putIdentity(carol, omemoIdentity(42));
        assert.deepEqual(await omemo.getIdentity(alice), replaced);
        assert.deepEqual(await omemo.getIdentity(carol), omemoIdentity(42));
      }));

    it('stores one-time prekeys in batches, lists them by keyId and removes them', () =>
      withStorage(async ({ omemo }) => {
        assert.deepEqual(await omemo.listPreKeys(alice), []);
        await omemo.putPreKeys(
          alice,
          [5, 1, 100, 3].map((id) => omemoPreKey(id)),
        );
        await omemo.putPreKeys(alice, [omemoPreKey(20), omemoPreKey(2)]);
        await omemo.putPreKeys(alice, []);
        const ids = async (): Promise<number[]> =>
          (await omemo.listPreKeys(alice)).map((k) => k.keyId);
        assert.deepEqual(await ids(), [1, 2, 3, 5, 20, 100], 'numeric order, not text order');
        assert.deepEqual(await omemo.getPreKey(alice, 3), omemoPreKey(3));
        assert.equal(await omemo.getPreKey(alice, 4), undefined);
        // A batch may replace keys it shares ids with.
        await omemo.putPreKeys(alice, [omemoPreKey(3, 333), omemoPreKey(4)]);
        assert.deepEqual(await omemo.getPreKey(alice, 3), omemoPreKey(3, 333));
        assert.deepEqual((await omemo.listPreKeys(alice))[2], omemoPreKey(3, 333));
        assert.equal(await omemo.removePreKey(alice, 3), true);
        assert.equal(await omemo.removePreKey(alice, 3), false);
        assert.equal(await omemo.getPreKey(alice, 3), undefined);
        assert.deepEqual(await ids(), [1, 2, 4, 5, 20, 100]);
        assert.deepEqual(await omemo.listPreKeys(carol), []);
      }));

    it('lists signed prekeys by createdAt then keyId, the newest last', () =>
      withStorage(async ({ omemo }) => {
        await omemo.putSignedPreKey(alice, omemoSignedPreKey(7, 2_000));
        await omemo.putSignedPreKey(alice, omemoSignedPreKey(9, 1_000));
        await omemo.putSignedPreKey(alice, omemoSignedPreKey(3, 1_000));
        await omemo.putSignedPreKey(alice, omemoSignedPreKey(1, 3_000));
        const ids = async (): Promise<number[]> =>
          (await omemo.listSignedPreKeys(alice)).map((k) => k.keyId);
        assert.deepEqual(await ids(), [3, 9, 7, 1]);
        assert.deepEqual(await omemo.getSignedPreKey(alice, 9), omemoSignedPreKey(9, 1_000));
        assert.equal(await omemo.getSignedPreKey(alice, 2), undefined);
        // Re-signing key 3 later makes it the newest.
        await omemo.putSignedPreKey(alice, omemoSignedPreKey(3, 5_000, 33));
        assert.deepEqual(await ids(), [9, 7, 1, 3]);
        assert.deepEqual(await omemo.getSignedPreKey(alice, 3), omemoSignedPreKey(3, 5_000, 33));
        assert.equal(await omemo.removeSignedPreKey(alice, 9), true);
        assert.equal(await omemo.removeSignedPreKey(alice, 9), false);
        assert.deepEqual(await ids(), [7, 1, 3]);
        assert.deepEqual(await omemo.listSignedPreKeys(alice), [
          omemoSignedPreKey(7, 2_000),
          omemoSignedPreKey(1, 3_000),
          omemoSignedPreKey(3, 5_000, 33),
        ]);
      }));

    it('keeps one session per (account, jid, deviceId)', () =>
      withStorage(async ({ omemo }) => {
        const record = JSON.stringify({ version: 'v1', sessions: { ünïcödé: '🔐'.repeat(500) } });
        await omemo.putSession(alice, bob, 1, record);
        await omemo.putSession(alice, bob, 2, 'bob-2');
        await omemo.putSession(alice, carol, 1, 'carol-1');
        await omemo.putSession(carol, bob, 1, 'as-carol');
        assert.equal(await omemo.getSession(alice, bob, 1), record);
        assert.equal(await omemo.getSession(alice, bob, 2), 'bob-2');
        assert.equal(await omemo.getSession(alice, carol, 1), 'carol-1');
        assert.equal(await omemo.getSession(carol, bob, 1), 'as-carol');
        assert.equal(await omemo.getSession(alice, bob, 3), undefined);
        await omemo.putSession(alice, bob, 1, 'ratcheted');
        assert.equal(await omemo.getSession(alice, bob, 1), 'ratcheted');
        assert.equal(await omemo.getSession(carol, bob, 1), 'as-carol');
        assert.equal(await omemo.removeSession(alice, bob, 1), true);
        assert.equal(await omemo.removeSession(alice, bob, 1), false);
        assert.equal(await omemo.getSession(alice, bob, 1), undefined);
        assert.equal(await omemo.getSession(alice, bob, 2), 'bob-2');
        assert.equal(await omemo.getSession(alice, carol, 1), 'carol-1');
        assert.equal(await omemo.getSession(carol, bob, 1), 'as-carol');
      }));

    it('keeps devices and lists them by jid then deviceId', () =>
      withStorage(async ({ omemo }) => {
        const bob10 = omemoDevice({ deviceId: 10 });
        const bob9 = omemoDevice({ deviceId: 9, trust: 'verified' });
        const unknownKey = keylessOmemoDevice({ deviceId: 2 ** 31 - 1 });
        const carol5 = omemoDevice({ jid: carol, deviceId: 5, trust: 'untrusted', active: false });
        const own = omemoDevice({ jid: alice, deviceId: 77, trust: 'distrusted' });
        for (const d of [carol5, bob10, unknownKey, own, bob9]) await omemo.putDevice(alice, d);
        assert.deepEqual(await omemo.listDevices(alice), [own, bob9, bob10, unknownKey, carol5]);
        assert.deepEqual(await omemo.listDevices(alice, bob), [bob9, bob10, unknownKey]);
        assert.deepEqual(await omemo.listDevices(alice, 'nobody@hush.test'), []);
        const stored = await omemo.getDevice(alice, bob, 2 ** 31 - 1);
        assert.deepEqual(stored, unknownKey);
        assert.equal(stored && 'identityKey' in stored, false);
        assert.equal(await omemo.getDevice(alice, carol, 10), undefined);
        // The key changed and was listed again: replaced in place, still one device.
        const changedKey = {
          ...bob10,
          identityKey: testBytes(99, 33),
          trust: 'untrusted' as const,
        };
        await omemo.putDevice(alice, { ...changedKey, active: false, lastSeen: 9_000 });
        assert.deepEqual(await omemo.getDevice(alice, bob, 10), {
          ...changedKey,
          active: false,
          lastSeen: 9_000,
        });
        assert.deepEqual(
          (await omemo.listDevices(alice, bob)).map((d) => [d.deviceId, d.trust]),
          [
            [9, 'verified'],
            [10, 'untrusted'],
            [2 ** 31 - 1, 'blind'],
          ],
        );
        // Code point order (SQLite's on UTF-8), which differs from UTF-16 order above U+FFFF.
        const astral = omemoDevice({ jid: '\u{1F600}@hush.test', deviceId: 1 });
        const fullwidth = omemoDevice({ jid: '\uFF21@hush.test', deviceId: 1 });
        await omemo.putDevice(carol, astral);
        await omemo.putDevice(carol, fullwidth);
        assert.deepEqual(await omemo.listDevices(carol), [fullwidth, astral]);
      }));

    it("keeps each account's keys, sessions and devices apart", () =>
      withStorage(async ({ omemo }) => {
        await omemo.putIdentity(alice, omemoIdentity(1));
        await omemo.putPreKeys(alice, [omemoPreKey(1), omemoPreKey(2)]);
        await omemo.putSignedPreKey(alice, omemoSignedPreKey(1, 1_000));
        await omemo.putSession(alice, bob, 1, 'session');
        await omemo.putDevice(alice, omemoDevice({ deviceId: 1 }));

        assert.equal(await omemo.getIdentity(carol), undefined);
        assert.equal(await omemo.getPreKey(carol, 1), undefined);
        assert.deepEqual(await omemo.listPreKeys(carol), []);
        assert.equal(await omemo.getSignedPreKey(carol, 1), undefined);
        assert.deepEqual(await omemo.listSignedPreKeys(carol), []);
        assert.equal(await omemo.getSession(carol, bob, 1), undefined);
        assert.equal(await omemo.getDevice(carol, bob, 1), undefined);
        assert.deepEqual(await omemo.listDevices(carol), []);
        assert.deepEqual(await omemo.listDevices(carol, bob), []);
        assert.equal(await omemo.removePreKey(carol, 1), false);
        assert.equal(await omemo.removeSignedPreKey(carol, 1), false);
        assert.equal(await omemo.removeSession(carol, bob, 1), false);

        await omemo.putIdentity(carol, omemoIdentity(1, 50));
        await omemo.putPreKeys(carol, [omemoPreKey(1, 50)]);
        await omemo.putSignedPreKey(carol, omemoSignedPreKey(1, 9_000, 50));
        await omemo.putSession(carol, bob, 1, 'carol-session');
        await omemo.putDevice(carol, omemoDevice({ deviceId: 1, trust: 'distrusted' }));

        assert.deepEqual(await omemo.getIdentity(alice), omemoIdentity(1));
        assert.deepEqual(await omemo.listPreKeys(alice), [omemoPreKey(1), omemoPreKey(2)]);
        assert.deepEqual(await omemo.listSignedPreKeys(alice), [omemoSignedPreKey(1, 1_000)]);
        assert.equal(await omemo.getSession(alice, bob, 1), 'session');
        assert.deepEqual(await omemo.listDevices(alice), [omemoDevice({ deviceId: 1 })]);
        assert.deepEqual(await omemo.listPreKeys(carol), [omemoPreKey(1, 50)]);
        assert.deepEqual(await omemo.listDevices(carol), [
          omemoDevice({ deviceId: 1, trust: 'distrusted' }),
        ]);
      }));

    it('stores copies of the bytes it is given and returns copies', () =>
      withStorage(async ({ omemo }) => {
        const identity = omemoIdentity(1);
        const preKey = omemoPreKey(1);
        const signed = omemoSignedPreKey(1, 1_000);
        const device = omemoDevice({ deviceId: 1 });
        // Given arrays are copied when stored: the caller may wipe or reuse them.
        const given = {
          identity: omemoIdentity(1),
          preKey: omemoPreKey(1),
          signed: omemoSignedPreKey(1, 1_000),
          device: omemoDevice({ deviceId: 1 }),
        };
        await omemo.putIdentity(alice, given.identity);
        await omemo.putPreKeys(alice, [given.preKey]);
        await omemo.putSignedPreKey(alice, given.signed);
        await omemo.putDevice(alice, given.device);
        given.identity.privateKey.fill(0);
        given.preKey.privateKey.fill(0);
        given.signed.signature.fill(0);
        given.device.identityKey?.fill(0);

        // Returned arrays and objects are the caller's to change.
        const gotIdentity = await omemo.getIdentity(alice);
        assertPlainBytes(gotIdentity?.publicKey);
        assertPlainBytes(gotIdentity?.privateKey);
        gotIdentity?.privateKey.fill(0);
        if (gotIdentity) Object.assign(gotIdentity, { deviceId: 666 });
        const [listed] = await omemo.listPreKeys(alice);
        assertPlainBytes(listed?.privateKey);
        listed?.privateKey.fill(0);
        (await omemo.getPreKey(alice, 1))?.publicKey.fill(0);
        const gotSigned = await omemo.getSignedPreKey(alice, 1);
        assertPlainBytes(gotSigned?.signature);
        gotSigned?.signature.fill(0);
        (await omemo.listSignedPreKeys(alice))[0]?.privateKey.fill(0);
        const gotDevice = await omemo.getDevice(alice, bob, 1);
        assertPlainBytes(gotDevice?.identityKey);
        gotDevice?.identityKey?.fill(0);
        (await omemo.listDevices(alice))[0]?.identityKey?.fill(0);

        assert.deepEqual(await omemo.getIdentity(alice), identity);
        assert.deepEqual(await omemo.listPreKeys(alice), [preKey]);
        assert.deepEqual(await omemo.listSignedPreKeys(alice), [signed]);
        assert.deepEqual(await omemo.listDevices(alice), [device]);
      }));

    it('stores exactly the bytes of a view into a larger buffer', () =>
      withStorage(async ({ omemo }) => {
        const backing = testBytes(5, 200);
        const view = (start: number, length: number): Uint8Array =>
          backing.subarray(start, start + length);
        await omemo.putPreKeys(alice, [
          { keyId: 1, publicKey: view(3, 33), privateKey: view(40, 32) },
        ]);
        await omemo.putDevice(alice, omemoDevice({ deviceId: 1, identityKey: view(100, 33) }));
        const preKey = await omemo.getPreKey(alice, 1);
        assert.deepEqual(preKey, {
          keyId: 1,
          publicKey: Uint8Array.from(view(3, 33)),
          privateKey: Uint8Array.from(view(40, 32)),
        });
        assertPlainBytes(preKey?.publicKey);
        assert.equal(preKey?.publicKey.byteOffset, 0);
        assert.deepEqual(
          (await omemo.getDevice(alice, bob, 1))?.identityKey,
          Uint8Array.from(view(100, 33)),
        );
        // Empty is a value too, unlike an absent identity key.
        await omemo.putDevice(alice, omemoDevice({ deviceId: 2, identityKey: new Uint8Array(0) }));
        assert.deepEqual((await omemo.getDevice(alice, bob, 2))?.identityKey, new Uint8Array(0));
      }));
  });

  describe(`${name}: uploads`, () => {
    it('keeps, replaces and removes an upload', () =>
      withStorage(async ({ uploads }) => {
        const upload = pendingUpload({ id: 'u1' });
        assert.equal(await uploads.get(alice, 'u1'), undefined);
        await uploads.put(upload);
        assert.deepEqual(await uploads.get(alice, 'u1'), upload);
        assert.deepEqual(await uploads.list(alice), [upload]);
        assert.equal(await uploads.get(alice, 'nope'), undefined);
        // The upload went through: the same upload again, now with its URL.
        const uploaded = { ...upload, attempts: 1, url: 'https://upload.hush.test/a/b.bin' };
        await uploads.put(uploaded);
        assert.deepEqual(await uploads.get(alice, 'u1'), uploaded);
        assert.deepEqual(await uploads.list(alice), [uploaded]);
        assert.equal(await uploads.remove(alice, 'u1'), true);
        assert.equal(await uploads.remove(alice, 'u1'), false);
        assert.equal(await uploads.get(alice, 'u1'), undefined);
        assert.deepEqual(await uploads.list(alice), []);
      }));

    it('lists uploads oldest first, a replaced one keeping its place', () =>
      withStorage(async ({ uploads }) => {
        await uploads.put(pendingUpload({ id: 'u3', createdAt: 3_000 }));
        await uploads.put(pendingUpload({ id: 'u1', createdAt: 1_000 }));
        await uploads.put(pendingUpload({ id: 'u2a', createdAt: 2_000 }));
        await uploads.put(pendingUpload({ id: 'u2b', createdAt: 2_000 }));
        await uploads.put(pendingUpload({ id: 'other', account: carol, createdAt: 0 }));
        const ids = async (): Promise<string[]> => (await uploads.list(alice)).map((u) => u.id);
        assert.deepEqual(await ids(), ['u1', 'u2a', 'u2b', 'u3']);
        await uploads.put(pendingUpload({ id: 'u2a', createdAt: 2_000, attempts: 3 }, 9));
        assert.deepEqual(await ids(), ['u1', 'u2a', 'u2b', 'u3']);
        assert.deepEqual(
          (await uploads.list(alice))[1],
          pendingUpload({ id: 'u2a', createdAt: 2_000, attempts: 3 }, 9),
        );
        // Removed and put again, it is the newest of its createdAt.
        assert.equal(await uploads.remove(alice, 'u2a'), true);
        await uploads.put(pendingUpload({ id: 'u2a', createdAt: 2_000 }));
        assert.deepEqual(await ids(), ['u1', 'u2b', 'u2a', 'u3']);
        assert.deepEqual(await uploads.list(carol), [
          pendingUpload({ id: 'other', account: carol, createdAt: 0 }),
        ]);
      }));

    it('updates the attempts and the URL of an upload, and nothing else', () =>
      withStorage(async ({ uploads }) => {
        const upload = pendingUpload({ id: 'u1', createdAt: 2_000 });
        await uploads.put(pendingUpload({ id: 'u0', createdAt: 2_000 }, 5));
        await uploads.put(upload);
        await uploads.put(pendingUpload({ id: 'u1', account: carol }, 7));
        await uploads.put(pendingUpload({ id: 'u2', createdAt: 2_000 }, 6));
        assert.equal(await uploads.update(alice, 'u1', { attempts: 1 }), true);
        assert.deepEqual(await uploads.get(alice, 'u1'), { ...upload, attempts: 1 });
        // A change left out keeps its value: the URL arrives once an attempt succeeded.
        const url = 'https://upload.hush.test/ü/u1.bin';
        assert.equal(await uploads.update(alice, 'u1', { url }), true);
        assert.deepEqual(await uploads.get(alice, 'u1'), { ...upload, attempts: 1, url });
        assert.equal(await uploads.update(alice, 'u1', { attempts: 300 }), true);
        assert.equal(await uploads.update(alice, 'u1', {}), true);
        const updated = { ...upload, attempts: 300, url };
        assert.deepEqual(await uploads.get(alice, 'u1'), updated);
        // It keeps its place in the order; other uploads, of this account or another, stay.
        assert.deepEqual(await uploads.list(alice), [
          pendingUpload({ id: 'u0', createdAt: 2_000 }, 5),
          updated,
          pendingUpload({ id: 'u2', createdAt: 2_000 }, 6),
        ]);
        assert.deepEqual(await uploads.list(carol), [
          pendingUpload({ id: 'u1', account: carol }, 7),
        ]);
        assert.equal(await uploads.update(alice, 'nope', { attempts: 1 }), false);
        assert.equal(await uploads.update('nobody@hush.test', 'u1', { attempts: 1 }), false);
        // Unlike put, update never brings back an upload that was sent or dropped.
        assert.equal(await uploads.remove(alice, 'u1'), true);
        assert.equal(await uploads.update(alice, 'u1', { attempts: 301, url }), false);
        assert.equal(await uploads.get(alice, 'u1'), undefined);
        assert.deepEqual(
          (await uploads.list(alice)).map((u) => u.id),
          ['u0', 'u2'],
        );
      }));

    it("keeps the file's description with an upload, through updates", () =>
      withStorage(async ({ uploads }) => {
        const described = pendingUpload({
          id: 'd1',
          file: fileDescription({ name: 'voice.m4a', mediaType: 'audio/mp4', durationMs: 3_200 }),
        });
        const bare = pendingUpload({ id: 'd2', createdAt: 2_000 });
        await uploads.put(described);
        await uploads.put(bare);
        assert.deepEqual(await uploads.get(alice, 'd1'), described);
        assert.deepEqual(await uploads.list(alice), [described, bare]);
        assert.equal('file' in ((await uploads.get(alice, 'd2')) ?? {}), false);
        assertPlainBytes((await uploads.get(alice, 'd1'))?.file?.sha256);
        const url = 'https://upload.hush.test/d/d1.bin';
        assert.equal(await uploads.update(alice, 'd1', { attempts: 2, url }), true);
        assert.deepEqual(await uploads.get(alice, 'd1'), { ...described, attempts: 2, url });
        // Replaced by put: the new record is what is kept, with or without a description.
        await uploads.put({ ...described, file: fileDescription() });
        assert.deepEqual((await uploads.get(alice, 'd1'))?.file, fileDescription());
        const withoutFile = pendingUpload({ id: 'd1' });
        await uploads.put(withoutFile);
        assert.deepEqual(await uploads.get(alice, 'd1'), withoutFile);
      }));

    it("keeps each account's uploads apart", () =>
      withStorage(async ({ uploads }) => {
        const mine = pendingUpload({ id: 'same' });
        const theirs = pendingUpload({ id: 'same', account: carol, peer: alice }, 50);
        await uploads.put(mine);
        assert.equal(await uploads.get(carol, 'same'), undefined);
        assert.deepEqual(await uploads.list(carol), []);
        assert.equal(await uploads.remove(carol, 'same'), false);
        await uploads.put(theirs);
        assert.deepEqual(await uploads.get(alice, 'same'), mine);
        assert.deepEqual(await uploads.get(carol, 'same'), theirs);
        assert.equal(await uploads.remove(carol, 'same'), true);
        assert.deepEqual(await uploads.list(alice), [mine]);
        assert.deepEqual(await uploads.list(carol), []);
        assert.deepEqual(await uploads.list('nobody@hush.test'), []);
      }));

    it('tells an upload without a URL from one with', () =>
      withStorage(async ({ uploads }) => {
        await uploads.put(pendingUpload({ id: 'waiting' }));
        await uploads.put(pendingUpload({ id: 'done', url: 'https://upload.hush.test/ü/🎙️.ogg' }));
        const waiting = await uploads.get(alice, 'waiting');
        assert.ok(waiting);
        assert.equal('url' in waiting, false);
        assert.equal((await uploads.get(alice, 'done'))?.url, 'https://upload.hush.test/ü/🎙️.ogg');
        const [listedWaiting, listedDone] = await uploads.list(alice);
        assert.equal(listedWaiting && 'url' in listedWaiting, false);
        assert.equal(listedDone?.url, 'https://upload.hush.test/ü/🎙️.ogg');
        // Replacing with an upload that has none drops the URL (a retry from the start).
        await uploads.put(pendingUpload({ id: 'done', attempts: 2 }));
        const restarted = await uploads.get(alice, 'done');
        assert.deepEqual(restarted, pendingUpload({ id: 'done', attempts: 2 }));
        assert.equal(restarted && 'url' in restarted, false);
      }));

    it('stores copies of the bytes it is given and returns plain copies', () =>
      withStorage(async ({ uploads }) => {
        const upload = pendingUpload({ id: 'u' });
        const given = pendingUpload({ id: 'u' });
        await uploads.put(given);
        given.ciphertext.fill(0);
        given.key.fill(0);
        given.iv.fill(0);
        const got = await uploads.get(alice, 'u');
        assertPlainBytes(got?.ciphertext);
        assertPlainBytes(got?.key);
        assertPlainBytes(got?.iv);
        got?.ciphertext.fill(0);
        got?.key.fill(0);
        if (got) Object.assign(got, { attempts: 9 });
        const [listed] = await uploads.list(alice);
        assertPlainBytes(listed?.ciphertext);
        listed?.iv.fill(0);
        listed?.ciphertext.fill(0);
        assert.deepEqual(await uploads.get(alice, 'u'), upload);
        assert.deepEqual(await uploads.list(alice), [upload]);

        // Views into a larger buffer, and a subclass (as a Buffer is): exactly the viewed bytes
        // come back, as plain arrays of their own.
        class Bytes extends Uint8Array {}
        const backing = testBytes(5, 300);
        const view = (start: number, length: number): Uint8Array =>
          backing.subarray(start, start + length);
        await uploads.put({
          ...pendingUpload({ id: 'v' }),
          ciphertext: view(10, 116),
          key: Bytes.from(view(200, 32)),
          iv: view(250, 12),
        });
        const fromViews = await uploads.get(alice, 'v');
        assert.deepEqual(fromViews, {
          ...pendingUpload({ id: 'v' }),
          ciphertext: Uint8Array.from(view(10, 116)),
          key: Uint8Array.from(view(200, 32)),
          iv: Uint8Array.from(view(250, 12)),
        });
        assertPlainBytes(fromViews?.key);
        assert.equal(fromViews?.ciphertext.byteOffset, 0);
        assert.equal(fromViews?.ciphertext.buffer.byteLength, 116);
        // Empty bytes are stored as bytes, not taken for a missing value.
        await uploads.put({ ...pendingUpload({ id: 'e' }), ciphertext: new Uint8Array(0) });
        assert.deepEqual((await uploads.get(alice, 'e'))?.ciphertext, new Uint8Array(0));
      }));

    it('round-trips a 10 MB ciphertext', () =>
      withStorage(async ({ uploads }) => {
        const ciphertext = bigBytes(10 * 1024 * 1024 + 16);
        await uploads.put(pendingUpload({ id: 'big', ciphertext }));
        await uploads.put(pendingUpload({ id: 'small', createdAt: 2_000 }));
        assert.ok(sameBytes((await uploads.get(alice, 'big'))?.ciphertext, ciphertext));
        await uploads.put(
          pendingUpload({
            id: 'big',
            ciphertext,
            attempts: 1,
            url: 'https://upload.hush.test/big',
          }),
        );
        const [big, small] = await uploads.list(alice);
        assert.ok(sameBytes(big?.ciphertext, ciphertext));
        assert.equal(big?.url, 'https://upload.hush.test/big');
        // Counting another attempt leaves the ciphertext as it was.
        assert.equal(await uploads.update(alice, 'big', { attempts: 2 }), true);
        const counted = await uploads.get(alice, 'big');
        assert.ok(sameBytes(counted?.ciphertext, ciphertext));
        assert.equal(counted?.attempts, 2);
        assert.equal(counted?.url, 'https://upload.hush.test/big');
        assert.deepEqual(big?.key, pendingUpload({ id: 'big' }).key);
        assert.deepEqual(small, pendingUpload({ id: 'small', createdAt: 2_000 }));
      }));
  });

  describe(`${name}: accounts`, () => {
    it('keeps, replaces and removes accounts', () =>
      withStorage(async ({ accounts }) => {
        const a = { jid: alice, service: 'wss://hush.test/xmpp-websocket', resource: 'hush-1' };
        const c = { ...a, jid: carol, password: 'secret', mamLastStanzaId: 'arch-1' };
        await accounts.put(c);
        await accounts.put(a);
        assert.deepEqual(await accounts.get(alice), a);
        assert.deepEqual(await accounts.list(), [a, c]);
        await accounts.put({ ...a, mamLastStanzaId: 'arch-9' });
        assert.deepEqual(await accounts.get(alice), { ...a, mamLastStanzaId: 'arch-9' });
        assert.equal(await accounts.remove(alice), true);
        assert.equal(await accounts.remove(alice), false);
        assert.equal(await accounts.get(alice), undefined);
        assert.deepEqual(await accounts.list(), [c]);
      }));
  });
}
