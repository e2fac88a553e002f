// The behaviour every Storage backend promises, written once and run against each of them:
// memory.test.ts here, sqlite.test.ts in @hush/storage-node. Test-only: nothing in core's public
// surface imports it, so its node:test import never reaches a browser or React Native bundle.
// eslint-disable-next-line no-restricted-imports -- test support, only ever loaded by *.test.ts files
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports -- test support, only ever loaded by *.test.ts files
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { MessageState, OutboxEntry, Storage, StoredMessage } from './types.ts';

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
    nextAttemptAt: 1_000,
    ...fields,
  };
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
        assert.equal(await outbox.update(alice, 'e1', { attempts: 1, nextAttemptAt: 5000 }), true);
        assert.deepEqual((await outbox.list(alice))[0], {
          ...entry,
          attempts: 1,
          nextAttemptAt: 5000,
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
