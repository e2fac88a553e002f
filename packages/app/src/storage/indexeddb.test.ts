// idb tells IndexedDB's objects apart by the browser's classes (IDBRequest, IDBCursor…): auto makes
// fake-indexeddb's the globals; each test still opens its own factory.
import 'fake-indexeddb/auto';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { storageContract } from '@hush/test-utils/storage-contract';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openIndexedDbStorage } from './indexeddb.ts';

storageContract('IndexedDB storage', async () =>
  openIndexedDbStorage({ name: 'hush', factory: new IDBFactory(), keyRange: IDBKeyRange }),
);

describe('IndexedDB storage across reloads', () => {
  it("finds accounts, messages (a file's description too) and the outbox again after the database is reopened", async () => {
    const factory = new IDBFactory();
    const open = () => openIndexedDbStorage({ name: 'hush', factory, keyRange: IDBKeyRange });
    const first = await open();
    await first.accounts.put({ jid: 'a@x', service: 'wss://x/xmpp-websocket', resource: 'r' });
    await first.messages.add({
      id: 'm1',
      account: 'a@x',
      peer: 'b@x',
      direction: 'out',
      body: 'hello',
      timestamp: 5,
      state: 'pending',
      encrypted: false,
    });
    const described = {
      id: 'm2',
      account: 'a@x',
      peer: 'b@x',
      direction: 'in' as const,
      body: 'aesgcm://h/x/encrypted#00',
      timestamp: 6,
      state: 'received' as const,
      encrypted: true,
      file: { name: 'notes.txt', mediaType: 'text/plain', size: 3, sha256: new Uint8Array(32) },
    };
    await first.messages.add(described);
    await first.close();
    const second = await open();
    assert.equal((await second.accounts.list()).length, 1);
    const hello = await second.messages.get('a@x', 'm1');
    assert.equal(hello?.body, 'hello');
    assert.equal(hello && 'file' in hello, false);
    assert.deepEqual(await second.messages.get('a@x', 'm2'), described);
    await second.close();
  });
});

describe('IndexedDB storage from an older version', () => {
  it('opens a schema 1 database as it was (no uploads store): keeps its records, adds uploads', async () => {
    const factory = new IDBFactory();
    // Schema 1 by hand, as the first web release made it, with one account and one message.
    const v1 = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = factory.open('hush', 1);
      open.onupgradeneeded = () => {
        const db = open.result;
        db.createObjectStore('accounts', { keyPath: 'jid' });
        const messages = db.createObjectStore('messages', { keyPath: 'seq', autoIncrement: true });
        messages.createIndex('byId', ['account', 'id'], { unique: true });
        messages.createIndex('byStanzaId', ['account', 'stanzaId'], { unique: true });
        messages.createIndex('byOriginId', ['account', 'peer', 'originId'], { unique: true });
        messages.createIndex('byConversation', ['account', 'peer', 'timestamp', 'seq']);
        messages.createIndex('byAccount', 'account');
        const outbox = db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
        outbox.createIndex('byId', ['account', 'id'], { unique: true });
        outbox.createIndex('byCreation', ['account', 'createdAt', 'seq']);
        db.createObjectStore('omemoIdentities', { keyPath: 'account' });
        db.createObjectStore('omemoPreKeys', { keyPath: ['account', 'keyId'] });
        db.createObjectStore('omemoSignedPreKeys', { keyPath: ['account', 'keyId'] });
        db.createObjectStore('omemoSessions', { keyPath: ['account', 'jid', 'deviceId'] });
        db.createObjectStore('omemoDevices', { keyPath: ['account', 'jid', 'deviceId'] });
        open.transaction?.objectStore('accounts').put({
          jid: 'a@x',
          service: 'wss://x/xmpp-websocket',
          password: 'kept by the first release',
          resource: 'r',
        });
        open.transaction?.objectStore('messages').add({
          id: 'm1',
          account: 'a@x',
          peer: 'b@x',
          direction: 'in',
          body: 'from schema 1',
          timestamp: 5,
          state: 'received',
          encrypted: true,
          aFieldOfANewerVersion: 1,
        });
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    v1.close();
    const storage = await openIndexedDbStorage({ name: 'hush', factory, keyRange: IDBKeyRange });
    assert.equal((await storage.accounts.get('a@x'))?.password, 'kept by the first release');
    const [conversation] = await storage.messages.conversations('a@x');
    assert.equal(conversation?.lastMessage.body, 'from schema 1');
    assert.equal(await storage.messages.markRead('a@x', 'b@x', 5), 1);
    await storage.uploads.put({
      id: 'u1',
      account: 'a@x',
      peer: 'b@x',
      ciphertext: new Uint8Array([1]),
      key: new Uint8Array(32),
      iv: new Uint8Array(12),
      createdAt: 1,
      attempts: 0,
    });
    assert.equal((await storage.uploads.list('a@x')).length, 1);
    await storage.close();
    // The record keeps the field it did not know across the update.
    const raw = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const open = factory.open('hush');
      open.onsuccess = () => {
        const db = open.result;
        assert.equal(db.version, 2);
        const get = db.transaction('messages').objectStore('messages').get(1);
        get.onsuccess = () => {
          resolve(get.result as Record<string, unknown>);
          db.close();
        };
      };
      open.onerror = () => reject(open.error);
    });
    assert.equal(raw.state, 'read');
    assert.equal(raw.aFieldOfANewerVersion, 1);
  });
});
