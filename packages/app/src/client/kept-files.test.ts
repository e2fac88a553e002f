import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { encryptFile, formatAesgcmUrl, isHushError, type FetchFunction } from '@hush/core';
import { indexedDbKeptFiles } from '../storage/indexeddb-files.ts';
import type { KeptFiles } from '../platform/types.ts';
import { FileKeeper, keptFile } from './kept-files.ts';

const URL_ = 'https://upload.example/file_share/abc/encrypted';

/** A file server holding one upload until it expires: 404 from then on, as Prosody answers. */
function server(ciphertext: Uint8Array) {
  const state = { expired: false, fetches: 0 };
  const fetch: FetchFunction = async (url) => {
    state.fetches++;
    assert.equal(url, URL_, 'the key never leaves the device: no fragment in the request');
    if (state.expired) return new Response(null, { status: 404 });
    return new Response(ciphertext.slice(), { status: 200 });
  };
  return { state, fetch };
}

function memoryFiles(): KeptFiles & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    files,
    read: async (url) => files.get(url),
    write: async (url, bytes) => void files.set(url, bytes),
  };
}

function voiceMessage() {
  const plain = new TextEncoder().encode('OggS … a voice message');
  const { ciphertext, key, iv } = encryptFile(plain);
  return { plain, ciphertext, link: formatAesgcmUrl(URL_, key, iv) };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error) => isHushError(error) && error.code === code);
}

describe('kept files', () => {
  it('plays from the local copy after the server copy expired', async () => {
    const { plain, ciphertext, link } = voiceMessage();
    const { state, fetch } = server(ciphertext);
    const kept = memoryFiles();
    assert.deepEqual(await keptFile(link, kept, { fetch }), plain);
    // What is kept is the ciphertext, as the server had it: the key stays in the message.
    assert.deepEqual(kept.files.get(URL_), ciphertext);
    state.expired = true;
    assert.deepEqual(await keptFile(link, kept, { fetch }), plain);
    assert.equal(state.fetches, 1, 'read from the local copy, not fetched again');
  });

  it('is expired only with no local copy and no server copy', async () => {
    const { ciphertext, link } = voiceMessage();
    const { state, fetch } = server(ciphertext);
    state.expired = true;
    await rejectsWith(keptFile(link, memoryFiles(), { fetch }), 'LinkExpired');
  });

  it('fetches again over a damaged local copy, and keeps nothing that does not decrypt', async () => {
    const { plain, ciphertext, link } = voiceMessage();
    const { state, fetch } = server(ciphertext);
    const kept = memoryFiles();
    const damaged = ciphertext.slice();
    damaged[0] = (damaged[0] ?? 0) ^ 1;
    kept.files.set(URL_, damaged);
    assert.deepEqual(await keptFile(link, kept, { fetch }), plain);
    assert.deepEqual(kept.files.get(URL_), ciphertext);
    assert.equal(state.fetches, 1);

    const other = voiceMessage();
    const wrong = server(ciphertext); // the server hands out another file's bytes
    const empty = memoryFiles();
    await rejectsWith(keptFile(other.link, empty, { fetch: wrong.fetch }), 'IntegrityError');
    assert.equal(empty.files.size, 0);
  });

  it('keeps files of messages as they arrive, each once, text left alone', async () => {
    const { plain, ciphertext, link } = voiceMessage();
    const { state, fetch } = server(ciphertext);
    const kept = memoryFiles();
    const keeper = new FileKeeper(kept, { fetch });
    await Promise.all([keeper.keep('hello'), keeper.keep(link), keeper.keep(` ${link}\n`)]);
    assert.equal(state.fetches, 1);
    state.expired = true;
    assert.deepEqual(await keptFile(link, kept, { fetch }), plain);
  });

  it('keeps them in IndexedDB across a reload', async () => {
    const { plain, ciphertext, link } = voiceMessage();
    const { state, fetch } = server(ciphertext);
    const factory = new IDBFactory();
    await keptFile(link, indexedDbKeptFiles({ name: 'hush-files', factory }), { fetch });
    state.expired = true;
    const reopened = indexedDbKeptFiles({ name: 'hush-files', factory });
    assert.deepEqual(await keptFile(link, reopened, { fetch }), plain);
  });
});
