// The S3 mode of a test server: a local S3 server (s3-server.ts: s3rver behind a front that checks
// Signature V4 with the AWS SDK's signer and stores a PUT only once whole) and Hush's upload service
// (packages/upload-service, run as its own process from its command, as deployments run it), both on
// free loopback ports with the test server's certificate. startProsody({ upload: 's3' }) starts them
// and renders the template with UPLOAD_STORAGE=s3.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePorts, waitForPort } from './ports.ts';
import { repoRoot } from './paths.ts';

export interface S3Server {
  /** https://localhost:PORT */
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Where s3rver keeps its files. */
  readonly dir: string;
  stop(): Promise<void>;
}

export interface S3Uploads {
  readonly s3: S3Server;
  /** Key prefix of uploaded objects in the bucket. */
  readonly prefix: string;
  /** https://localhost:PORT/upload/ (what Prosody's slots point at) */
  readonly url: string;
  readonly port: number;
  /** The upload service's process id. */
  readonly pid: number | undefined;
  /** render.sh settings for this mode. */
  readonly settings: Record<string, string>;
  /** All the service printed so far. */
  output(): string;
  /** Stops the upload service and the S3 server. */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function track(child: ChildProcess): { output: () => string; stop: () => Promise<void> } {
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => children.delete(child));
  return {
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// The S3 server's standard input stays open while this process lives: it exits when it closes,
// even when this process is killed.
const node = (script: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawn(process.execPath, ['--disable-warning=ExperimentalWarning', script, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
  });

/** A local S3 server with one bucket, over HTTPS with `tls`'s certificate (for localhost). */
export async function startS3(options: {
  readonly dir: string;
  readonly tls: { readonly cert: string; readonly key: string };
  readonly bucket?: string;
}): Promise<S3Server> {
  const bucket = options.bucket ?? 'hush-test';
  const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64');
  await mkdir(options.dir, { recursive: true });
  const child = node(join(repoRoot, 'packages/test-utils/src/s3-server.ts'), [
    options.dir,
    bucket,
    accessKeyId,
    secretAccessKey,
    options.tls.cert,
    options.tls.key,
  ]);
  const process = track(child);
  const port = await new Promise<number>((resolve, reject) => {
    const onData = () => {
      const ready = /ready (\d+)/.exec(process.output());
      if (ready?.[1]) {
        child.stdout?.off('data', onData);
        resolve(Number(ready[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', () =>
      reject(new Error(`the S3 server did not start:\n${process.output()}`)),
    );
  });
  return {
    endpoint: `https://localhost:${port}`,
    region: 'us-east-1',
    bucket,
    accessKeyId,
    secretAccessKey,
    dir: options.dir,
    stop: process.stop,
  };
}

/**
 * Starts an S3 server and the upload service in `dir`, with the certificate Prosody uses and the
 * CA that signed it; resolves to the render.sh settings that point Prosody's slots at the service.
 */
export async function startS3Uploads(options: {
  readonly dir: string;
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string };
  readonly limit: string;
  readonly expiry: string;
}): Promise<S3Uploads> {
  const s3 = await startS3({ dir: join(options.dir, 's3'), tls: options.tls });
  try {
    const secretFile = join(options.dir, 'upload-secret');
    const credentialsFile = join(options.dir, 's3-credentials');
    await writeFile(secretFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    await writeFile(
      credentialsFile,
      `[default]\naws_access_key_id = ${s3.accessKeyId}\naws_secret_access_key = ${s3.secretAccessKey}\n`,
      { mode: 0o600 },
    );
    const prefix = 'hush-uploads/';
    for (let attempt = 1; ; attempt++) {
      const [port] = (await freePorts(1)) as [number];
      const child = node(join(repoRoot, 'packages/upload-service/src/main.ts'), [], {
        ...process.env,
        NODE_EXTRA_CA_CERTS: options.tls.ca,
        HUSH_UPLOAD_LISTEN: `127.0.0.1:${port}`,
        HUSH_UPLOAD_TLS_CERT: options.tls.cert,
        HUSH_UPLOAD_TLS_KEY: options.tls.key,
        HUSH_UPLOAD_SECRET_FILE: secretFile,
        HUSH_UPLOAD_LIMIT: options.limit,
        HUSH_UPLOAD_EXPIRY: options.expiry,
        HUSH_S3_ENDPOINT: s3.endpoint,
        HUSH_S3_REGION: s3.region,
        HUSH_S3_BUCKET: s3.bucket,
        HUSH_S3_PREFIX: prefix,
        HUSH_S3_CREDENTIALS_FILE: credentialsFile,
      });
      const service = track(child);
      const exited = new Promise<false>((resolve) => child.once('exit', () => resolve(false)));
      const up = await Promise.race([waitForPort(port).then(() => true), exited]);
      if (!up) {
        if (attempt < 3 && /EADDRINUSE/.test(service.output())) continue;
        throw new Error(`the upload service did not start:\n${service.output()}`);
      }
      const url = `https://localhost:${port}/upload/`;
      return {
        s3,
        prefix,
        url,
        port,
        pid: child.pid,
        settings: { UPLOAD_STORAGE: 's3', UPLOAD_URL: url, UPLOAD_SECRET_FILE: secretFile },
        output: service.output,
        async stop() {
          await service.stop();
          await s3.stop();
        },
      };
    }
  } catch (error) {
    await s3.stop();
    throw error;
  }
}
