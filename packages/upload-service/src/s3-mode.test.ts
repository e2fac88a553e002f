// The client's whole file path against a real Prosody in S3 mode (UPLOAD_STORAGE=s3): slots from
// mod_http_upload_external with mod_hush_upload_limits, files through this upload service into a
// local S3 server that checks every request's Signature V4. The same calls and the same errors as
// against Prosody's own storage (packages/core/src/media/*.test.ts), and the bucket holds only
// ciphertext under names that say nothing. Production limits but a 2 MiB limit and an 8 MiB quota.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  createMemoryStorage,
  discoverUploadService,
  downloadFile,
  FileSender,
  isHushError,
  openSession,
  parseAesgcmUrl,
  requestUploadSlot,
  uploadEncryptedFile,
  uploadFile,
  type FetchFunction,
  type Storage,
  type StoredMessage,
  type XmppSession,
} from '@hush/core';
import { serverSuite, startTcpProxy, until, type S3Uploads, type TcpProxy } from '@hush/test-utils';
import { testClients } from '@hush/test-utils/sessions';
import { quickFileSender, uploadsCut } from '@hush/test-utils/files';

const LIMIT = 2 * 1024 * 1024;
const PASSWORD = 's3-mode-password';
let uploads: S3Uploads;
let s3: S3Client;
let alice: XmppSession;
let proxy: TcpProxy | undefined;
const clients = testClients(() => suite.server);

const suite = serverSuite({
  server: {
    upload: 's3',
    settings: { UPLOAD_LIMIT: String(LIMIT), UPLOAD_DAILY_QUOTA: String(8 * 1024 * 1024) },
  },
  started: async (server) => {
    assert.ok(server.uploads);
    uploads = server.uploads;
    s3 = new S3Client({
      region: uploads.s3.region,
      endpoint: uploads.s3.endpoint,
      forcePathStyle: true,
      credentials: {
        accessKeyId: uploads.s3.accessKeyId,
        secretAccessKey: uploads.s3.secretAccessKey,
      },
    });
    alice = await login(await person('alice'));
  },
  closeFirst: async () => {
    await clients.closeAll();
    await alice?.close();
    await proxy?.close();
    s3?.destroy();
  },
});

const person = (name: string) => suite.newAccount(name, PASSWORD);

const login = (jid: string) =>
  openSession({ service: suite.server.websocketUrl, jid, password: PASSWORD });
const random = (length: number) => new Uint8Array(randomBytes(length));
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const bucket = () => uploads.s3.bucket;

/** The object key of an upload: the prefix and the slot's uuid, nothing of the file's name. */
function objectKey(url: string): string {
  const id = new URL(url).pathname.split('/').at(-2) ?? '';
  return `${uploads.prefix}${id}`;
}

async function readObject(key: string): Promise<Uint8Array> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket(), Key: key }));
  return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
}

test('discovery finds upload.localhost with its limit', async () => {
  assert.deepEqual(await discoverUploadService(alice), {
    jid: 'upload.localhost',
    maxFileSize: LIMIT,
  });
});

test('1 MB round trip: only ciphertext in the bucket, under the slot id, no name or type kept', async () => {
  const plain = random(1024 * 1024);
  const progress: number[] = [];
  const result = await uploadEncryptedFile(alice, plain, {
    onProgress: (sent) => progress.push(sent),
  });
  assert.match(result.url, new RegExp(`^${uploads.url}[0-9a-f-]{36}/encrypted$`));
  assert.equal(result.attempts, 1);
  assert.ok(progress.length > 5, `only ${progress.length} progress reports`);
  assert.equal(progress.at(-1), plain.length + 16);

  const key = objectKey(result.url);
  const stored = await readObject(key);
  assert.equal(stored.length, plain.length + 16);
  assert.equal(Buffer.from(stored).indexOf(Buffer.from(plain.subarray(1000, 1032))), -1);
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket(), Key: key }));
  assert.equal(head.ContentType, 'application/octet-stream');
  assert.deepEqual(head.Metadata ?? {}, {});
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket() }));
  assert.ok(
    (listed.Contents ?? []).every((o) => /^hush-uploads\/[0-9a-f-]{36}$/.test(o.Key ?? '')),
  );

  const downloaded = await downloadFile(result.aesgcmUrl);
  assert.equal(downloaded.encrypted, true);
  assert.ok(Buffer.from(downloaded.bytes).equals(plain));
  // The file never passed through Prosody: nothing of its size is in Prosody's data folder.
  const entries = await readdir(suite.server.dataDir, { recursive: true, withFileTypes: true });
  for (const entry of entries.filter((e) => e.isFile())) {
    const { size } = await stat(join(entry.parentPath, entry.name));
    assert.ok(size < 100_000, `${entry.name} holds ${size} bytes`);
  }
});

test('a plain upload with an odd name downloads as sent; the name stays out of the bucket', async () => {
  const bytes = new TextEncoder().encode('hello over s3');
  const result = await uploadFile(alice, {
    bytes,
    filename: 'holiday pictures/é.txt',
    contentType: 'text/plain',
  });
  assert.deepEqual(await downloadFile(result.url), { bytes, encrypted: false });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket() }));
  assert.ok(!(listed.Contents ?? []).some((o) => /holiday|txt/.test(o.Key ?? '')));
});

test('over the limit: FileTooLarge before a slot, and from the server', async () => {
  await assert.rejects(
    uploadFile(alice, { bytes: new Uint8Array(LIMIT + 1), filename: 'big' }),
    (e) => isHushError(e, 'FileTooLarge'),
  );
  await assert.rejects(
    requestUploadSlot(alice, 'upload.localhost', {
      filename: 'big',
      size: LIMIT + 1,
      contentType: 'application/octet-stream',
    }),
    // The limit comes from the server's <max-file-size/>.
    (e) => isHushError(e, 'FileTooLarge') && e.message.includes('(2 MB)'),
  );
});

test('the daily quota used up: QuotaExceeded, and it holds across a restart', async () => {
  const session = await login(await person('quota'));
  const request = { filename: 'q', size: LIMIT, contentType: 'application/octet-stream' };
  try {
    for (let i = 0; i < 3; i++) await requestUploadSlot(session, 'upload.localhost', request);
  } finally {
    await session.close();
  }
  await suite.server.restart();
  const again = await login(session.jid.split('/')[0] ?? '');
  try {
    await requestUploadSlot(again, 'upload.localhost', request);
    await assert.rejects(requestUploadSlot(again, 'upload.localhost', request), (e) =>
      isHushError(e, 'QuotaExceeded'),
    );
  } finally {
    await again.close();
  }
  await alice.close();
  alice = await login(alice.jid.split('/')[0] ?? '');
});

test('a deleted object or an unknown id: LinkExpired; a changed stored byte: IntegrityError', async () => {
  const first = await uploadEncryptedFile(alice, random(5000));
  const key = objectKey(first.url);
  const stored = await readObject(key);
  stored[100] = (stored[100] ?? 0) ^ 0x20;
  await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: stored }));
  await assert.rejects(downloadFile(first.aesgcmUrl), (e) => isHushError(e, 'IntegrityError'));

  await s3.send(new DeleteObjectCommand({ Bucket: bucket(), Key: key }));
  await assert.rejects(downloadFile(first.aesgcmUrl), (e) => isHushError(e, 'LinkExpired'));
  const { url } = parseAesgcmUrl(first.aesgcmUrl);
  const unknown = url.replace(/[0-9a-f-]{36}/, '01234567-89ab-4def-8123-456789abcdef');
  await assert.rejects(downloadFile(unknown), (e) => isHushError(e, 'LinkExpired'));
  await assert.rejects(downloadFile(url.replace(/\/[^/]+\/encrypted$/, '/x/encrypted')), (e) =>
    isHushError(e, 'LinkExpired'),
  );
});

test('a PUT cut mid-way is retried on the same slot: the bucket kept nothing of the cut one', async () => {
  proxy = await startTcpProxy(uploads.port);
  const viaProxy: FetchFunction = (url, init) =>
    fetch(url.replace(`:${uploads.port}/`, `:${proxy?.port}/`), init);
  const plain = random(1024 * 1024);
  let cut = false;
  let slots = 0;
  const counted: XmppSession = {
    ...alice,
    jid: alice.jid,
    request(iq, timeoutMs) {
      if (iq.getChild('request', 'urn:xmpp:http:upload:0')) slots++;
      return alice.request(iq, timeoutMs);
    },
  };
  const result = await uploadEncryptedFile(counted, plain, {
    fetch: viaProxy,
    retryDelayMs: 20,
    onProgress: (bytes) => {
      if (!cut && bytes > 0) {
        cut = true;
        proxy?.stall();
        setTimeout(() => (proxy?.cut(), proxy?.resume()), 50);
      }
    },
  });
  assert.equal(result.attempts, 2);
  assert.equal(slots, 1);
  const downloaded = await downloadFile(result.aesgcmUrl, { fetch: viaProxy });
  assert.ok(Buffer.from(downloaded.bytes).equals(plain));
});

test('a PUT with a forged token gets 403 and a new slot; a used slot answers 409', async () => {
  let puts = 0;
  let first = '';
  const spoilFirst: FetchFunction = (url, init) => {
    puts++;
    if (puts === 1) {
      first = url;
      return fetch(url.replace(/v2=[0-9a-f]{64}/, `v2=${'0'.repeat(64)}`), init);
    }
    return fetch(url, init);
  };
  const bytes = random(70_000);
  const result = await uploadFile(
    alice,
    { bytes, filename: 'f' },
    { fetch: spoilFirst, retryDelayMs: 10 },
  );
  assert.equal(result.attempts, 2);
  assert.deepEqual((await downloadFile(result.url)).bytes, bytes);
  // The first slot was never used: its real token still works once, then the slot is taken.
  const put = () =>
    fetch(first, {
      method: 'PUT',
      body: bytes,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
  assert.equal((await put()).status, 201);
  assert.equal((await put()).status, 409);
});

interface Device {
  readonly jid: string;
  readonly storage: Storage;
  readonly files: FileSender;
}

async function device(
  jid: string,
  storage: Storage = createMemoryStorage(),
  fetch?: FetchFunction,
) {
  const { client } = await clients.start(jid, PASSWORD, { storage });
  return { jid, storage, files: quickFileSender(client, storage, fetch), client };
}

async function received(device: Device, peer: string, sha256: string) {
  const checked = new Set<string>();
  return until(
    async () => {
      const all = (await device.storage.messages.history(device.jid, peer, { limit: 100 })).filter(
        (m: StoredMessage) => m.body.startsWith('aesgcm://') && !checked.has(m.id),
      );
      for (const message of all) {
        checked.add(message.id);
        const { bytes } = await downloadFile(message.body);
        if (sha(bytes) === sha256) return message;
      }
      return undefined;
    },
    `${device.jid} to get the file ${sha256}`,
    // A loaded machine may take a while to deliver (as in the client's own tests).
    30_000,
  );
}

test('send and receive over OMEMO; an upload cut by the network is sent after a restart', async () => {
  const [aliceJid, bobJid] = [await person('alice'), await person('bob')];
  const bob = await device(bobJid);
  const aliceStorage = createMemoryStorage();
  const offline = await device(aliceJid, aliceStorage, uploadsCut);
  const pendingFile = random(200_000);
  await assert.rejects(offline.files.send(bobJid, pendingFile), { code: 'UploadFailed' });
  const [pending] = await aliceStorage.uploads.list(aliceJid);
  assert.ok(pending);
  await clients.stop(offline.client);

  const aliceDevice = await device(aliceJid, aliceStorage);
  const { sent, failed } = await aliceDevice.files.resume();
  assert.deepEqual(failed, []);
  assert.equal(sent[0]?.id, pending.id);
  await received(bob, aliceJid, sha(pendingFile));

  const document = random(300_000);
  const message = await aliceDevice.files.send(bobJid, document);
  assert.match(
    message.body,
    /^aesgcm:\/\/localhost:\d+\/upload\/[0-9a-f-]{36}\/encrypted#[0-9a-f]{88}$/,
  );
  await received(bob, aliceJid, sha(document));
  assert.equal((await aliceStorage.uploads.list(aliceJid)).length, 0);
});
