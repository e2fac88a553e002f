import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryStorage } from './memory.ts';
import { pendingUpload, storageContract, testBytes } from '@hush/test-utils/storage-contract';

storageContract('memory storage', async () => createMemoryStorage());

// Core's contract cannot use Buffer (it is platform-neutral); Node callers hand the storage one.
it('memory storage: stores a Buffer as a plain Uint8Array of its own bytes', async () => {
  const { uploads } = createMemoryStorage();
  const ciphertext = Buffer.from(testBytes(4, 116));
  await uploads.put({ ...pendingUpload({ id: 'b' }), ciphertext });
  ciphertext.fill(0);
  const stored = await uploads.get('alice@hush.test', 'b');
  assert.equal(Object.getPrototypeOf(stored?.ciphertext), Uint8Array.prototype);
  assert.equal(stored?.ciphertext.buffer.byteLength, 116);
  assert.deepEqual(stored?.ciphertext, testBytes(4, 116));
});
