import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { storageContract } from '@hush/test-utils/storage-contract';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openIndexedDbStorage } from './indexeddb.ts';

storageContract('IndexedDB storage', async () =>
  openIndexedDbStorage({ name: 'hush', factory: new IDBFactory(), keyRange: IDBKeyRange }),
);

describe('IndexedDB storage across reloads', () => {
  it('finds accounts, messages and the outbox again after the database is reopened', async () => {
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
    await first.close();
    const second = await open();
    assert.equal((await second.accounts.list()).length, 1);
    assert.equal((await second.messages.get('a@x', 'm1'))?.body, 'hello');
    await second.close();
  });
});
