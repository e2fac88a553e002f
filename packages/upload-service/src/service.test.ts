// The upload service on its own, in front of the local S3 server (test-utils' s3-server.ts): what a
// bucket refuses (request signing, checked with the AWS SDK's own signer), what the service refuses,
// retention, and the settings it is started with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  makeCertificates,
  startS3,
  trustCertificateAuthority,
  until,
  type S3Server,
} from '@hush/test-utils';
import { readFileSync } from 'node:fs';
import { ConfigError, parseCredentials, readConfig } from './config.ts';
import { startUploadService, type UploadService } from './service.ts';
import { s3Store, type ObjectStore, type S3Settings } from './store.ts';
import { slotToken } from './token.ts';

const SECRET = 'a-secret-of-more-than-thirty-two-characters';
let dir: string;
let s3: S3Server;
let settings: S3Settings;
let service: UploadService;
let base: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hush-upload-service-'));
  await makeCertificates(join(dir, 'certs'), 'localhost');
  trustCertificateAuthority(readFileSync(join(dir, 'certs/ca.crt'), 'utf8'));
  s3 = await startS3({
    dir: join(dir, 's3'),
    tls: { cert: join(dir, 'certs/localhost.crt'), key: join(dir, 'certs/localhost.key') },
  });
  settings = {
    endpoint: s3.endpoint,
    region: s3.region,
    bucket: s3.bucket,
    prefix: 'p/',
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
  };
  // Plain HTTP, as behind a TLS proxy; a retention of two seconds.
  service = await startUploadService({
    store: s3Store(settings),
    secret: SECRET,
    basePath: '/upload/',
    maxBytes: 1000,
    expirySeconds: 2,
    sweepSeconds: 3600,
    log: () => undefined,
  });
  base = `http://127.0.0.1:${service.port}/upload/`;
});
after(async () => {
  await service?.close();
  await s3?.stop();
  await rm(dir, { recursive: true, force: true });
});

function client(overrides: Partial<{ accessKeyId: string; secretAccessKey: string }> = {}) {
  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: {
      accessKeyId: overrides.accessKeyId ?? s3.accessKeyId,
      secretAccessKey: overrides.secretAccessKey ?? s3.secretAccessKey,
    },
  });
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof S3ServiceException, String(error));
    return error.name;
  }
  return 'accepted';
}

test('the S3 server checks every signature: a wrong secret, a changed header or body, an unknown key', async () => {
  const good = client();
  const put = (c: S3Client) =>
    c.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'k', Body: 'ciphertext' }));
  assert.equal(await refusal(put(good)), 'accepted');
  assert.equal(
    await refusal(put(client({ secretAccessKey: 'x'.repeat(40) }))),
    'SignatureDoesNotMatch',
  );
  assert.equal(await refusal(put(client({ accessKeyId: 'AKIAUNKNOWN' }))), 'InvalidAccessKeyId');

  // A signed request changed on the way: a header after signing, or the body.
  const tampered = client();
  let change: 'header' | 'body' = 'header';
  tampered.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as { headers: Record<string, string>; body: unknown };
      // One second later than signed, or the same length of other bytes.
      if (change === 'header') req.headers['x-amz-date'] = laterBySecond(req.headers['x-amz-date']);
      else req.body = 'CIPHERTEXT';
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'tamper' },
  );
  const signedBody = () =>
    tampered.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'k', Body: 'ciphertext' }));
  assert.equal(await refusal(signedBody()), 'SignatureDoesNotMatch');
  change = 'body';
  assert.match(await refusal(signedBody()), /XAmzContentSHA256Mismatch|SignatureDoesNotMatch/);
  const kept = await good.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'k' }));
  assert.equal(await kept.Body?.transformToString(), 'ciphertext');
  for (const c of [good, tampered]) c.destroy();
});

function laterBySecond(amzDate: string | undefined): string {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate ?? '');
  assert.ok(match);
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as number[];
  const date = new Date(
    Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, (second ?? 0) + 1),
  );
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function put(path: string, body: Buffer, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'PUT', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const HALF = 1024 * 1024;
const ID = '0b5c6a1e-2f3d-4a5b-8c7d-9e0f1a2b3c4d';
const slot = (id: string, name: string, size: number, type = 'application/octet-stream') =>
  `${id}/${encodeURIComponent(name)}?v2=${slotToken(SECRET, { id, name }, size, type)}`;

test('PUT: a wrong token, size or type is 403; over the limit 413; no length 411; a used slot 409', async () => {
  const body = randomBytes(100);
  const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': '100' };
  assert.equal(await put(slot(ID, 'f', 101), body, headers), 403);
  assert.equal(await put(slot(ID, 'f', 100, 'image/png'), body, headers), 403);
  assert.equal(await put(`${ID}/f?v2=${'0'.repeat(64)}`, body, headers), 403);
  assert.equal(await put(`${ID}/f`, body, headers), 403);
  assert.equal(
    await put(slot(ID, 'f', 2000), randomBytes(2000), { 'Content-Length': '2000' }),
    413,
  );
  assert.equal(await put(slot(ID, 'f', 100), body, { 'Transfer-Encoding': 'chunked' }), 411);
  assert.equal(await put(slot('not-a-uuid', 'f', 100), body, headers), 404);
  assert.equal(await put(slot(ID, 'ünï cöde', 100), body, headers), 201);
  assert.equal(await put(slot(ID, 'ünï cöde', 100), body, headers), 409);
  const got = await fetch(`${base}${ID}/anything`);
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('content-type'), 'application/octet-stream');
  assert.equal(got.headers.get('access-control-allow-origin'), '*');
  assert.ok(Buffer.from(await got.arrayBuffer()).equals(body));
  assert.equal((await fetch(`${base}${ID}/f`, { method: 'POST' })).status, 405);
  const preflight = await fetch(`${base}${ID}/f`, { method: 'OPTIONS' });
  assert.equal(preflight.status, 204);
  assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /PUT/);
});

test('retention: a file older than the retention is gone for readers at once, and swept from the bucket', async () => {
  const [read, unread] = [
    '1b5c6a1e-2f3d-4a5b-8c7d-9e0f1a2b3c4d',
    '2b5c6a1e-2f3d-4a5b-8c7d-9e0f1a2b3c4d',
  ];
  for (const id of [read, unread]) {
    const status = await put(slot(id, 'f', 10), randomBytes(10), {
      'Content-Type': 'application/octet-stream',
    });
    assert.equal(status, 201);
  }
  assert.equal((await fetch(`${base}${read}/f`, { method: 'HEAD' })).status, 200);
  await until(
    async () => (await fetch(`${base}${read}/f`)).status === 404,
    'the file to pass its retention of 2 s',
    20_000,
    100,
  );
  // The one nobody asked for is deleted by the sweep.
  await until(async () => (await service.sweep()) > 0, 'the sweep to delete the unread file');
  const s3client = client();
  await until(async () => {
    const listed = await s3client.send(
      new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'p/' }),
    );
    return (listed.Contents ?? []).length === 0;
  }, 'the bucket to hold no uploads');
  s3client.destroy();
});

test('settings: secrets from files, every bad value a ConfigError naming it', async () => {
  const secretFile = join(dir, 'secret');
  const credentials = join(dir, 'credentials');
  await writeFile(secretFile, `${SECRET}\n`);
  await writeFile(
    credentials,
    '[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = c2VjcmV0\n',
  );
  const env = {
    HUSH_UPLOAD_SECRET_FILE: secretFile,
    HUSH_S3_CREDENTIALS_FILE: credentials,
    HUSH_S3_BUCKET: 'hush-files',
    HUSH_S3_ENDPOINT: 'https://s3.example.org',
  };
  const config = readConfig(env);
  assert.equal(config.service.secret, SECRET);
  assert.equal(config.service.maxBytes, 10 * 1024 * 1024);
  assert.equal(config.service.expirySeconds, 604800);
  assert.equal(config.service.port, 5282);
  assert.deepEqual(
    { ...config.s3, secretAccessKey: '' },
    {
      endpoint: 'https://s3.example.org',
      region: 'us-east-1',
      bucket: 'hush-files',
      prefix: 'hush-uploads/',
      forcePathStyle: true,
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: '',
    },
  );
  for (const [name, value] of [
    ['HUSH_S3_BUCKET', 'Not A Bucket'],
    ['HUSH_S3_ENDPOINT', 'ftp://x'],
    ['HUSH_UPLOAD_LISTEN', 'nowhere'],
    ['HUSH_UPLOAD_LIMIT', '10MB'],
    ['HUSH_UPLOAD_SECRET_FILE', join(dir, 'missing')],
    ['HUSH_UPLOAD_BASE_PATH', 'upload'],
    ['HUSH_UPLOAD_TLS_CERT', secretFile],
  ] as const) {
    assert.throws(
      () => readConfig({ ...env, [name]: value }),
      (e) => e instanceof ConfigError && e.code === 'InvalidConfig' && e.message.includes(name),
      name,
    );
  }
  await writeFile(secretFile, 'short\n');
  assert.throws(() => readConfig(env), /32 characters/);
  assert.throws(() => parseCredentials('aws_access_key_id = x\n'), ConfigError);
});

test('bytes stream both ways: the bucket gets the first half of a PUT before the rest is sent, and a reader before the bucket sent it all', async () => {
  let received = 0;
  let stored: Buffer | undefined;
  const download = new PassThrough();
  const store: ObjectStore = {
    head: async () => undefined,
    get: async () => ({ size: 2 * HALF, lastModified: new Date(), body: download }),
    async put(_id, body) {
      const chunks: Buffer[] = [];
      for await (const chunk of body) {
        chunks.push(chunk as Buffer);
        received += (chunk as Buffer).length;
      }
      stored = Buffer.concat(chunks);
    },
    deleteOlderThan: async () => 0,
    delete: async () => undefined,
    close: () => undefined,
  };
  const streaming = await startUploadService({
    store,
    secret: SECRET,
    basePath: '/upload/',
    maxBytes: 2 * HALF,
    expirySeconds: 60,
  });
  try {
    const url = `http://127.0.0.1:${streaming.port}/upload/${slot(ID, 'f', 2 * HALF)}`;
    const body = randomBytes(2 * HALF);
    const status = new Promise<number>((resolve, reject) => {
      const req = request(url, {
        method: 'PUT',
        headers: { 'Content-Length': String(2 * HALF), 'Content-Type': 'application/octet-stream' },
      });
      req.on('response', (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      req.on('error', reject);
      req.write(body.subarray(0, HALF));
      until(() => received >= HALF / 2, 'the store to get the first half').then(
        () => req.end(body.subarray(HALF)),
        reject,
      );
    });
    assert.equal(await status, 201);
    assert.ok(stored?.equals(body));

    const response = await fetch(`http://127.0.0.1:${streaming.port}/upload/${ID}/f`);
    const reader = response.body?.getReader();
    assert.ok(reader);
    download.write(body.subarray(0, HALF));
    let read = 0;
    while (read < HALF) read += (await reader.read()).value?.length ?? 0;
    download.end(body.subarray(HALF));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      read += value.length;
    }
    assert.equal(read, 2 * HALF);
  } finally {
    await streaming.close();
  }
});
