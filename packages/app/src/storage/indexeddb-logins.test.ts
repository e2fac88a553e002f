// The web app's saved login: sealed under a non-extractable key, never the password; an older
// version's password in the accounts store is erased.
import 'fake-indexeddb/auto'; // the app's storage (on idb) needs IndexedDB's classes as globals
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SavedLogin } from '@hush/core';
import { openIndexedDbStorage } from './indexeddb.ts';
import { deleteIndexedDbLogins, indexedDbLoginVault } from './indexeddb-logins.ts';

const jid = 'alice@hush.test';
const login: SavedLogin = {
  clientId: '0b6f2c1e-7d4a-4c1b-9a0e-3f2d1c0b9a87',
  scram: {
    hash: 'SHA-256',
    salt: 'c2FsdHNhbHQ=',
    iterations: 10_000,
    clientKey: Uint8Array.from({ length: 32 }, (_, i) => i + 1),
    serverKey: Uint8Array.from({ length: 32 }, (_, i) => 200 - i),
  },
  fast: {
    mechanism: 'HT-SHA-256-NONE',
    token: 'secret-token:fast-abcdef',
    expiry: '2030-01-01T00:00:00Z',
  },
};

/** Every record of every store of a database, as structured-clone values. */
async function rawRecords(factory: IDBFactory, name: string): Promise<unknown[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = factory.open(name);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const records: unknown[] = [];
  for (const store of Array.from(db.objectStoreNames)) {
    const all = await new Promise<unknown[]>((resolve, reject) => {
      const req = db.transaction(store, 'readonly').objectStore(store).getAll();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    records.push(...all);
  }
  db.close();
  return records;
}

/** Whether `needle` occurs in any bytes or text reachable from `value`. */
function contains(value: unknown, needle: Uint8Array): boolean {
  const text = new TextDecoder('latin1').decode(needle);
  const seen = (bytes: Uint8Array) => new TextDecoder('latin1').decode(bytes).includes(text);
  if (value instanceof ArrayBuffer) return seen(new Uint8Array(value));
  if (ArrayBuffer.isView(value))
    return seen(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  if (typeof value === 'string') return value.includes(text);
  if (value && typeof value === 'object')
    return Object.values(value).some((inner) => contains(inner, needle));
  return false;
}

describe('indexedDbLoginVault', () => {
  it('keeps the saved login sealed under a non-extractable key, and forgets it', async () => {
    const factory = new IDBFactory();
    const storage = await openIndexedDbStorage({ name: 'hush', factory, keyRange: IDBKeyRange });
    const vault = indexedDbLoginVault({ name: 'hush-logins', factory }, storage.accounts);
    await vault.save(jid, login);
    assert.deepEqual(await vault.load(jid), login);

    const records = await rawRecords(factory, 'hush-logins');
    assert.equal(records.length, 1);
    const record = records[0] as { key: CryptoKey };
    assert.equal(record.key.extractable, false);
    await assert.rejects(globalThis.crypto.subtle.exportKey('raw', record.key));
    const encoder = new TextEncoder();
    for (const secret of [
      login.scram?.clientKey ?? new Uint8Array(),
      encoder.encode(login.fast?.token),
      encoder.encode('secret-token'),
    ])
      assert.equal(contains(records, secret), false);

    await vault.forget(jid);
    assert.equal(await vault.load(jid), undefined);
    await storage.close();
    await deleteIndexedDbLogins('hush-logins', factory);
  });

  it("reads an older version's password once and erases it from the accounts store", async () => {
    const factory = new IDBFactory();
    const storage = await openIndexedDbStorage({ name: 'hush', factory, keyRange: IDBKeyRange });
    const account = { jid, service: 'wss://hush.test/xmpp-websocket', resource: 'hush-1' };
    await storage.accounts.put({ ...account, password: 'correct horse' });
    const vault = indexedDbLoginVault({ name: 'hush-logins', factory }, storage.accounts);
    assert.equal(await vault.legacyPassword?.(jid), 'correct horse');
    await vault.eraseLegacyPassword?.(jid);
    assert.equal(await vault.legacyPassword?.(jid), undefined);
    assert.deepEqual(await storage.accounts.get(jid), account);
    assert.equal(
      contains(await rawRecords(factory, 'hush'), new TextEncoder().encode('correct horse')),
      false,
    );
    await storage.close();
  });
});
