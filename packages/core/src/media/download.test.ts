// downloadFile against scripted HTTP answers: what a broken or hostile server can do.
// (The real-server cases are in upload.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FileTooLargeError, isHushError } from '../errors.ts';
import { encryptFile, formatAesgcmUrl } from './aesgcm.ts';
import { downloadFile } from './download.ts';
import type { FetchFunction } from './types.ts';

/** A body of `chunks` chunks of `size` bytes each, counting how many were read. */
function countedBody(chunks: number, size: number) {
  const counter = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (counter.pulled >= chunks) return controller.close();
      counter.pulled++;
      controller.enqueue(new Uint8Array(size).fill(counter.pulled));
    },
    cancel() {
      counter.cancelled = true;
    },
  });
  return { stream, counter };
}

const answer =
  (response: () => Response): FetchFunction =>
  async () =>
    response();

test('a body larger than maxBytes without a Content-Length: reading stops at the limit', async () => {
  const { stream, counter } = countedBody(1_000_000, 1024);
  await assert.rejects(
    downloadFile('https://files.example/big', {
      fetch: answer(() => new Response(stream)),
      maxBytes: 10 * 1024,
    }),
    // Reading stopped at the limit, so the size is not known.
    (e) => e instanceof FileTooLargeError && e.limit === 10 * 1024 && e.size === undefined,
  );
  assert.ok(counter.pulled <= 12, `read ${counter.pulled} chunks`);
  assert.ok(counter.cancelled);
});

test('a declared Content-Length over the limit is refused before reading anything', async () => {
  const { stream, counter } = countedBody(100, 1024);
  await assert.rejects(
    downloadFile('https://files.example/big', {
      fetch: answer(
        () => new Response(stream, { headers: { 'content-length': String(10 ** 12) } }),
      ),
      maxBytes: 1024 * 1024,
    }),
    (e) => e instanceof FileTooLargeError && e.limit === 1024 * 1024 && e.size === 10 ** 12,
  );
  assert.ok(counter.pulled <= 1);
});

test('a server sending more than it announced, or less, is a DownloadFailed', async () => {
  for (const declared of ['1000', '5000']) {
    const { stream } = countedBody(3, 1024);
    await assert.rejects(
      downloadFile('https://files.example/f', {
        fetch: answer(() => new Response(stream, { headers: { 'content-length': declared } })),
      }),
      (e) => isHushError(e, 'DownloadFailed'),
    );
  }
});

test('HTTP answers map to typed errors', async () => {
  const cases: [number, string][] = [
    [404, 'LinkExpired'],
    [410, 'LinkExpired'],
    [403, 'DownloadFailed'],
    [500, 'DownloadFailed'],
    [503, 'DownloadFailed'],
  ];
  for (const [status, code] of cases) {
    await assert.rejects(
      downloadFile('https://files.example/f', {
        fetch: answer(() => new Response('nope', { status })),
      }),
      (e) => isHushError(e, code as 'LinkExpired'),
    );
  }
  await assert.rejects(
    downloadFile('https://files.example/f', {
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    }),
    (e) => isHushError(e, 'DownloadFailed'),
  );
  const broken = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(10));
      controller.error(new Error('socket hang up'));
    },
  });
  await assert.rejects(
    downloadFile('https://files.example/f', { fetch: answer(() => new Response(broken)) }),
    (e) => isHushError(e, 'DownloadFailed'),
  );
});

test('only https:// and aesgcm:// links are fetched', async () => {
  let called = 0;
  const fetch: FetchFunction = async () => (called++, new Response('x'));
  for (const link of [
    'http://files.example/f',
    'file:///etc/passwd',
    'javascript:1',
    '',
    'aesgcm://h/p',
  ]) {
    await assert.rejects(downloadFile(link, { fetch }), (e) =>
      isHushError(e, 'UnsupportedContent'),
    );
  }
  assert.equal(called, 0);
});

test('aesgcm:// decrypts, reports progress, and a changed byte is an IntegrityError', async () => {
  const plain = new Uint8Array(200_000).map((_, i) => i % 251);
  const { ciphertext, key, iv } = encryptFile(plain);
  const link = formatAesgcmUrl('https://files.example/x', key, iv);
  let requested = '';
  const progress: number[] = [];
  const result = await downloadFile(link, {
    fetch: async (url) => ((requested = url), new Response(ciphertext)),
    onProgress: (received) => progress.push(received),
  });
  assert.equal(requested, 'https://files.example/x');
  assert.deepEqual(result, { bytes: plain, encrypted: true });
  assert.equal(progress.at(-1), ciphertext.length);
  const tampered = ciphertext.slice();
  tampered[1234] = (tampered[1234] ?? 0) ^ 4;
  await assert.rejects(downloadFile(link, { fetch: answer(() => new Response(tampered)) }), (e) =>
    isHushError(e, 'IntegrityError'),
  );
  // The limit is on the plaintext: exactly maxBytes of plaintext still passes with its tag.
  const exact = await downloadFile(link, {
    fetch: answer(() => new Response(ciphertext)),
    maxBytes: plain.length,
  });
  assert.equal(exact.bytes.length, plain.length);
});

test('aborting before or during the download is Cancelled', async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    downloadFile('https://files.example/f', {
      signal: controller.signal,
      fetch: answer(() => new Response('x')),
    }),
    (e) => isHushError(e, 'Cancelled'),
  );
  const during = new AbortController();
  const { stream } = countedBody(1_000_000, 1024);
  await assert.rejects(
    downloadFile('https://files.example/f', {
      signal: during.signal,
      maxBytes: 10 ** 9,
      fetch: answer(() => new Response(stream)),
      onProgress: (received) => {
        if (received > 50_000) during.abort();
      },
    }),
    (e) => isHushError(e, 'Cancelled'),
  );
});
