// The native install in S3 mode (init.sh --uploads s3), end to end in its sandbox: a temporary
// --prefix, the real Prosody as the prosody user, the upload service installed and run by
// upload-service.sh, and the tests' local S3 server (s3rver behind a Signature V4 check) as the
// bucket. A client uploads and downloads an encrypted file; a second run with the same arguments
// changes nothing. Needs root, like init.test.ts; skipped elsewhere.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { downloadFile, openSession, uploadEncryptedFile } from '@hush/core';
import {
  freePorts,
  makeCertificates,
  repoRoot,
  rootOnly,
  startS3,
  trustCertificateAuthority,
  type S3Server,
} from '@hush/test-utils';

const run = promisify(execFile);
const needsRoot = rootOnly(
  'init.sh installs packages, writes files owned by the prosody user and runs Prosody as that user: it needs root',
);
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function stopPid(file: string): Promise<void> {
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (!(pid > 0)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  process.kill(pid, 'SIGKILL');
}

test(
  'init.sh --uploads s3: files go through the upload service into the bucket',
  { skip: needsRoot },
  async () => {
    const work = await mkdtemp(join(tmpdir(), 'hush-init-s3-'));
    cleanups.push(() => rm(work, { recursive: true, force: true }));
    // The bucket's own certificate, from a CA of its own that the upload service is told to trust.
    await makeCertificates(join(work, 's3-certs'), 'localhost');
    const s3: S3Server = await startS3({
      dir: join(work, 's3'),
      tls: {
        cert: join(work, 's3-certs/localhost.crt'),
        key: join(work, 's3-certs/localhost.key'),
      },
    });
    cleanups.push(() => s3.stop());
    trustCertificateAuthority(await readFile(join(work, 's3-certs/ca.crt'), 'utf8'));
    const credentials = join(work, 'credentials');
    await writeFile(
      credentials,
      `[default]\naws_access_key_id = ${s3.accessKeyId}\naws_secret_access_key = ${s3.secretAccessKey}\n`,
      { mode: 0o600 },
    );

    const prefix = join(work, 'prefix');
    await run('mkdir', ['-p', prefix]);
    await chmod(work, 0o755);
    await chmod(prefix, 0o755);
    cleanups.push(async () => {
      await stopPid(join(prefix, 'run/hush/upload-service.pid'));
      await stopPid(join(prefix, 'run/prosody/prosody.pid'));
    });
    const [c2s, c2sTls, https, upload] = (await freePorts(4)) as [number, number, number, number];
    const args = [
      ...['--domain', 'localhost', '--prefix', prefix, '--service', 'none', '--local-ca'],
      ...['--interfaces', '127.0.0.1', '--c2s-port', String(c2s), '--c2s-tls-port', String(c2sTls)],
      ...['--https-port', String(https), '--uploads', 's3', '--upload-port', String(upload)],
      ...['--s3-bucket', s3.bucket, '--s3-endpoint', s3.endpoint, '--s3-credentials', credentials],
    ];
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: join(work, 's3-certs/ca.crt') };
    const init = () =>
      run(join(repoRoot, 'server/deploy/init.sh'), args, { env, timeout: 240_000 });
    const first = await init();
    assert.match(first.stdout, new RegExp(`files +bucket ${s3.bucket} at ${s3.endpoint}`));

    // Secrets: in files only the prosody group reads, never in the rendered configuration.
    const secretFile = join(prefix, 'etc/hush/upload-secret');
    assert.equal(((await stat(secretFile)).mode & 0o777).toString(8), '640');
    assert.equal(
      ((await stat(join(prefix, 'etc/hush/s3-credentials'))).mode & 0o777).toString(8),
      '640',
    );
    const config = await readFile(join(prefix, 'etc/prosody/prosody.cfg.lua'), 'utf8');
    assert.ok(!config.includes((await readFile(secretFile, 'utf8')).trim()));
    assert.ok(!config.includes(s3.secretAccessKey));
    assert.match(config, new RegExp(`https://localhost:${upload}/upload/`));

    trustCertificateAuthority(await readFile(join(prefix, 'etc/prosody/local-ca/ca.crt'), 'utf8'));
    await run('prosodyctl', [
      '--config',
      join(prefix, 'etc/prosody/prosody.cfg.lua'),
      'register',
      'ann',
      'localhost',
      'ann-password',
    ]);
    const session = await openSession({
      service: `wss://localhost:${https}/xmpp-websocket`,
      jid: 'ann@localhost',
      password: 'ann-password',
    });
    try {
      const plain = new Uint8Array(randomBytes(300_000));
      const sent = await uploadEncryptedFile(session, plain);
      assert.match(
        sent.url,
        new RegExp(`^https://localhost:${upload}/upload/[0-9a-f-]{36}/encrypted$`),
      );
      assert.ok(Buffer.from((await downloadFile(sent.aesgcmUrl)).bytes).equals(plain));
    } finally {
      await session.close();
    }
    const client = new S3Client({
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
    client.destroy();
    assert.equal(listed.Contents?.length, 1);
    assert.match(listed.Contents?.[0]?.Key ?? '', /^hush-uploads\/[0-9a-f-]{36}$/);

    const again = await init();
    assert.match(again.stdout, /Nothing changed/);
  },
);
