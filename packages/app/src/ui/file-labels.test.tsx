// A received file's description (its name, type and length, sent encrypted) becomes its label's
// facts, kept on the device under the file's address.
import type { MessengerEvent, StoredMessage } from '@hush/core';
import type { KeptFiles } from '../platform/types';
import { rememberDescribedFiles } from './file-labels';

const link = 'aesgcm://upload.example.org/slot/0a1b/encrypted#' + 'ab'.repeat(44);

function memoryKept(): KeptFiles & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    files,
    read: async (url) => files.get(url),
    write: async (url, bytes) => void files.set(url, bytes),
  };
}

const message = (body: string): StoredMessage => ({
  id: 'm1',
  account: 'me@example.org',
  peer: 'you@example.org',
  direction: 'in',
  body,
  timestamp: 1,
  state: 'received',
  encrypted: true,
});

test('a described file is remembered under its address with its name, type and length', async () => {
  const kept = memoryKept();
  let listener: ((event: MessengerEvent) => void) | undefined;
  const stop = rememberDescribedFiles(
    {
      subscribe: (l) => {
        listener = l;
        return () => (listener = undefined);
      },
    },
    kept,
  );
  listener?.({ type: 'message', message: message('hello') });
  listener?.({
    type: 'message',
    message: message(link),
    file: {
      name: 'voice.m4a',
      mediaType: 'audio/mp4',
      size: 3,
      sha256: new Uint8Array(32),
      durationMs: 3200,
      url: 'https://upload.example.org/slot/0a1b/encrypted',
      key: new Uint8Array(32),
      iv: new Uint8Array(12),
    },
  });
  const key = 'hush-file-facts:https://upload.example.org/slot/0a1b/encrypted';
  await waitFor(() => kept.files.has(key));
  expect(JSON.parse(new TextDecoder().decode(kept.files.get(key)))).toEqual({
    name: 'voice.m4a',
    mimeType: 'audio/mp4',
    durationMs: 3200,
  });
  expect(kept.files.size).toBe(1);
  stop();
  expect(listener).toBeUndefined();
});

async function waitFor(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++)
    await new Promise<void>((resolve) => setImmediate(() => resolve()));
  expect(done()).toBe(true);
}
