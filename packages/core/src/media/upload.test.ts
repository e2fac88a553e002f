// Upload and download against a real Prosody (mod_http_file_share, production configuration with a
// 2 MiB limit and an 8 MiB daily quota so the limits are cheap to reach).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  startProsody,
  startTcpProxy,
  trustCertificateAuthority,
  type ProsodyServer,
  type TcpProxy,
} from '@hush/test-utils';
import type { Element } from '@xmpp/xml';
import { FileTooLargeError, isHushError } from '../errors.ts';
import { openSession, type XmppSession } from '../xmpp/session.ts';
import { parseAesgcmUrl } from './aesgcm.ts';
import { downloadFile } from './download.ts';
import { discoverUploadService, NS_HTTP_UPLOAD, requestUploadSlot } from './slot.ts';
import { uploadEncryptedFile, uploadFile } from './upload.ts';
import type { FetchFunction } from './types.ts';

const LIMIT = 2 * 1024 * 1024;
let server: ProsodyServer;
let alice: XmppSession;
let proxy: TcpProxy | undefined;

before(async () => {
  server = await startProsody({
    settings: { UPLOAD_LIMIT: String(LIMIT), UPLOAD_DAILY_QUOTA: String(8 * 1024 * 1024) },
  });
  trustCertificateAuthority(server.caCert);
  await Promise.all([
    server.createAccount('alice', 'alice-password'),
    server.createAccount('quota', 'quota-password'),
  ]);
  alice = await login('alice');
});
after(async () => {
  await alice?.close();
  await proxy?.close();
  await server?.stop();
});

function login(name: string) {
  return openSession({
    service: server.websocketUrl,
    jid: `${name}@localhost`,
    password: `${name}-password`,
  });
}

/** The same session, counting the IQs it sends by their payload's name. */
function counting(session: XmppSession) {
  const sent: string[] = [];
  const wrapped: XmppSession = {
    ...session,
    jid: session.jid,
    request(iq: Element, timeoutMs?: number) {
      const payload = iq.getChildElements()[0];
      sent.push(payload?.is('request', NS_HTTP_UPLOAD) ? 'slot' : (payload?.name ?? '?'));
      return session.request(iq, timeoutMs);
    },
  };
  return { session: wrapped, sent };
}

/** Every stored upload: Prosody keeps them under <data>/upload%2elocalhost/http_file_share/. */
async function storedFiles(): Promise<string[]> {
  const entries = await readdir(server.dataDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.parentPath.includes('http_file_share'))
    .map((entry) => join(entry.parentPath, entry.name));
}

async function storedFileFor(getUrl: string): Promise<string> {
  const slot = new URL(getUrl).pathname.split('/').at(-2) ?? '';
  // Prosody's datamanager file names escape every non-alphanumeric character as %xx.
  const name = slot.replace(
    /[^A-Za-z0-9]/g,
    (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  const file = (await storedFiles()).find((path) => path.endsWith(`/${name}.bin`));
  assert.ok(file, `no stored file for ${getUrl}`);
  return file;
}

const random = (length: number) => new Uint8Array(randomBytes(length));

test('discovers upload.localhost and its limit once per session', async () => {
  const { session, sent } = counting(alice);
  const service = await discoverUploadService(session);
  assert.deepEqual(service, { jid: 'upload.localhost', maxFileSize: LIMIT });
  assert.equal(await discoverUploadService(session), service);
  assert.ok(sent.length >= 2 && sent.length <= 4, sent.join());
  const before = sent.length;
  await discoverUploadService(session);
  assert.equal(sent.length, before);
});

test('1 MB round trip: encrypted upload, the server stores only ciphertext, download decrypts', async () => {
  const plain = random(1024 * 1024);
  const progress: number[] = [];
  const result = await uploadEncryptedFile(alice, plain, {
    onProgress: (sent, total) => {
      assert.equal(total, plain.length + 16);
      progress.push(sent);
    },
  });
  assert.match(result.aesgcmUrl, /^aesgcm:\/\/localhost:\d+\/.+#[0-9a-f]{88}$/);
  assert.equal(result.size, plain.length + 16);
  assert.equal(result.attempts, 1);
  assert.ok(progress.length > 5, `only ${progress.length} progress reports`);
  assert.deepEqual(
    progress,
    [...progress].sort((a, b) => a - b),
  );
  assert.equal(progress.at(-1), plain.length + 16);

  const stored = await readFile(await storedFileFor(result.url));
  assert.equal(stored.length, plain.length + 16);
  assert.ok(!stored.subarray(0, plain.length).equals(plain));
  assert.equal(stored.indexOf(Buffer.from(plain.subarray(1000, 1032))), -1);
  // The name and type given to the server say nothing about the file.
  assert.match(result.url, /\/encrypted$/);

  const received: number[] = [];
  const downloaded = await downloadFile(result.aesgcmUrl, {
    onProgress: (bytes) => received.push(bytes),
  });
  assert.equal(downloaded.encrypted, true);
  assert.ok(Buffer.from(downloaded.bytes).equals(plain));
  assert.equal(received.at(-1), plain.length + 16);
});

test('plain upload and https download', async () => {
  const bytes = new TextEncoder().encode('hello over https');
  const result = await uploadFile(alice, {
    bytes,
    filename: '../odd/na\nme.txt',
    contentType: 'text/plain',
  });
  assert.match(result.url, /^https:\/\/localhost:\d+\/.+\/\.\._odd_na_me\.txt$/);
  const downloaded = await downloadFile(result.url);
  assert.deepEqual(downloaded, { bytes, encrypted: false });
});

test('over the limit: FileTooLarge before any slot is requested', async () => {
  const { session, sent } = counting(alice);
  await assert.rejects(
    uploadFile(session, { bytes: new Uint8Array(LIMIT + 1), filename: 'big' }),
    (e) =>
      e instanceof FileTooLargeError &&
      e.message.includes(`${LIMIT / 1024 / 1024} MB`) &&
      e.limit === LIMIT &&
      e.size === LIMIT + 1,
  );
  // Plaintext that fits but whose ciphertext (plus tag) does not.
  await assert.rejects(uploadEncryptedFile(session, new Uint8Array(LIMIT - 8)), (e) =>
    isHushError(e, 'FileTooLarge'),
  );
  assert.ok(!sent.includes('slot'), sent.join());
  // The server's own refusal maps the same way.
  await assert.rejects(
    requestUploadSlot(alice, 'upload.localhost', {
      filename: 'big',
      size: LIMIT + 1,
      contentType: 'application/octet-stream',
    }),
    (e) =>
      e instanceof FileTooLargeError &&
      e.message.includes(`${LIMIT / 1024 / 1024} MB`) &&
      e.limit === LIMIT &&
      e.size === LIMIT + 1,
  );
});

test('the daily quota used up: QuotaExceeded', async () => {
  const session = await login('quota');
  try {
    const request = { filename: 'q', size: LIMIT, contentType: 'application/octet-stream' };
    for (let i = 0; i < 4; i++) await requestUploadSlot(session, 'upload.localhost', request);
    await assert.rejects(requestUploadSlot(session, 'upload.localhost', request), (e) =>
      isHushError(e, 'QuotaExceeded'),
    );
    await assert.rejects(requestUploadSlot(session, 'nowhere.localhost', request), (e) =>
      isHushError(e, 'UploadFailed'),
    );
  } finally {
    await session.close();
  }
});

test('a deleted file or an unknown path: LinkExpired; a changed stored byte: IntegrityError', async () => {
  const first = await uploadEncryptedFile(alice, random(5000));
  const file = await storedFileFor(first.url);
  const stored = await readFile(file);
  stored[100] = (stored[100] ?? 0) ^ 0x20;
  await writeFile(file, stored);
  await assert.rejects(downloadFile(first.aesgcmUrl), (e) => isHushError(e, 'IntegrityError'));

  await unlink(file);
  await assert.rejects(downloadFile(first.aesgcmUrl), (e) => isHushError(e, 'LinkExpired'));
  const { url } = parseAesgcmUrl(first.aesgcmUrl);
  const unknown = url.replace(/\/[^/]+\/encrypted$/, '/0123456789abcdef/encrypted');
  await assert.rejects(downloadFile(unknown), (e) => isHushError(e, 'LinkExpired'));
  await assert.rejects(downloadFile(first.url, { maxBytes: 1000 }), (e) =>
    isHushError(e, 'LinkExpired'),
  );

  const second = await uploadEncryptedFile(alice, random(5000));
  await assert.rejects(downloadFile(second.aesgcmUrl, { maxBytes: 4000 }), (e) =>
    isHushError(e, 'FileTooLarge'),
  );
});

test('cancelling during the PUT, before it, or during the download: Cancelled', async () => {
  const controller = new AbortController();
  await assert.rejects(
    uploadEncryptedFile(alice, random(1_000_000), {
      signal: controller.signal,
      onProgress: (sent) => {
        if (sent > 0) controller.abort();
      },
    }),
    (e) => isHushError(e, 'Cancelled'),
  );
  await assert.rejects(
    uploadFile(alice, { bytes: random(10), filename: 'x' }, { signal: controller.signal }),
    (e) => isHushError(e, 'Cancelled'),
  );
  const { aesgcmUrl } = await uploadEncryptedFile(alice, random(1_000_000));
  const during = new AbortController();
  await assert.rejects(
    downloadFile(aesgcmUrl, {
      signal: during.signal,
      onProgress: (received) => {
        if (received > 0) during.abort();
      },
    }),
    (e) => isHushError(e, 'Cancelled'),
  );
});

test('a PUT cut mid-way through a proxy is retried on the same slot and succeeds', async () => {
  proxy = await startTcpProxy(server.ports.https);
  const viaProxy: FetchFunction = (url, init) =>
    fetch(url.replace(`:${server.ports.https}/`, `:${proxy?.port}/`), init);
  const plain = random(1024 * 1024);
  const { session, sent } = counting(alice);
  let cut = false;
  const progress: number[] = [];
  const result = await uploadEncryptedFile(session, plain, {
    fetch: viaProxy,
    retryDelayMs: 20,
    onProgress: (bytes) => {
      progress.push(bytes);
      if (!cut && bytes > 0) {
        cut = true;
        // Stalled first so the upload cannot finish before the cut lands.
        proxy?.stall();
        setTimeout(() => (proxy?.cut(), proxy?.resume()), 50);
      }
    },
  });
  assert.equal(result.attempts, 2);
  assert.equal(sent.filter((name) => name === 'slot').length, 1);
  assert.ok(progress.includes(0, 1), 'progress restarts with the new attempt');
  const downloaded = await downloadFile(result.aesgcmUrl, { fetch: viaProxy });
  assert.ok(Buffer.from(downloaded.bytes).equals(plain));
});

test('a PUT stalled on a dead link is abandoned after stallTimeoutMs and retried', async () => {
  assert.ok(proxy);
  const viaProxy: FetchFunction = (url, init) =>
    fetch(url.replace(`:${server.ports.https}/`, `:${proxy?.port}/`), init);
  const plain = random(1024 * 1024);
  let stalled = false;
  const started = Date.now();
  const result = await uploadEncryptedFile(alice, plain, {
    fetch: viaProxy,
    retryDelayMs: 20,
    // A loaded machine can see several attempts abandoned while the link is down, and one more
    // answered 409 by the slot the first reached: room for those, the assertions unchanged.
    retries: 6,
    stallTimeoutMs: 300,
    onProgress: (bytes) => {
      if (!stalled && bytes > 0) {
        stalled = true;
        // Bytes stop in both directions, sockets stay open; the link comes back a little later.
        proxy?.stall();
        setTimeout(() => proxy?.resume(), 600);
      }
    },
  });
  // The abandoned attempt's bytes sit in the proxy and may still reach the server when the link
  // comes back; a later attempt then gets 409 on that slot and moves to a new one.
  assert.ok(result.attempts >= 2, `${result.attempts} attempts`);
  assert.ok(Date.now() - started >= 300);
  const downloaded = await downloadFile(result.aesgcmUrl);
  assert.ok(Buffer.from(downloaded.bytes).equals(plain));
});

test('a PUT refused with 4xx gets a new slot; one that always fails gives UploadFailed', async () => {
  const { session, sent } = counting(alice);
  let puts = 0;
  const spoilFirst: FetchFunction = (url, init) => {
    puts++;
    // A token the server does not accept: 401, the slot is useless.
    const headers =
      puts === 1 ? { ...init?.headers, Authorization: 'Bearer nonsense' } : init?.headers;
    return fetch(url, { ...init, headers: headers ?? {} });
  };
  const bytes = random(70_000);
  const result = await uploadFile(
    session,
    { bytes, filename: 'f' },
    { fetch: spoilFirst, retryDelayMs: 10 },
  );
  assert.equal(result.attempts, 2);
  assert.equal(sent.filter((name) => name === 'slot').length, 2);
  assert.deepEqual((await downloadFile(result.url)).bytes, bytes);

  let calls = 0;
  const failing: FetchFunction = async () => {
    calls++;
    throw new TypeError('fetch failed');
  };
  const started = Date.now();
  await assert.rejects(
    uploadFile(
      alice,
      { bytes: random(100), filename: 'f' },
      { fetch: failing, retries: 2, retryDelayMs: 10, body: 'buffer' },
    ),
    (e) => isHushError(e, 'UploadFailed'),
  );
  assert.equal(calls, 3);
  assert.ok(Date.now() - started >= 30, 'backoff doubles: 10 + 20 ms');
});
