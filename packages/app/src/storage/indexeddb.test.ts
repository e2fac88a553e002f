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
