// A local S3 server for tests, run as its own process by startS3() (s3.ts):
//
//   node s3-server.ts DIR BUCKET ACCESS_KEY SECRET_KEY CERT KEY
//
// Storage and the S3 API are s3rver's (npm), on a private loopback port. s3rver checks Signature V4
// requests for a known key but never recomputes the signature, and writes objects as they arrive,
// so in front of it, on the port the tests use (HTTPS with the given certificate), this process does
// what S3 does and s3rver does not:
// - recomputes every request's Signature V4 with the AWS SDK's own signer (@smithy/signature-v4)
//   and refuses a wrong key, a wrong signature, a request more than 15 minutes off, and a body
//   whose SHA-256 is not the signed one (403 / 400 with S3's error codes);
// - stores a PUT only once its whole body (Content-Length) has arrived: a cut upload leaves nothing.
// It prints "ready PORT" once both listen.
import { createHash, createHmac } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { SignatureV4 } from '@smithy/signature-v4';

const [dir, bucket, accessKeyId, secretAccessKey, certFile, keyFile] = process.argv.slice(2);
if (!dir || !bucket || !accessKeyId || !secretAccessKey || !certFile || !keyFile) {
  console.error('usage: s3-server.ts DIR BUCKET ACCESS_KEY SECRET_KEY CERT KEY');
  process.exit(2);
}
const REGION = 'us-east-1';
const MAX_BODY = 64 * 1024 * 1024;

interface S3rverInstance {
  run(): Promise<AddressInfo>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

const bytes = (data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** node:crypto behind the SDK's hash interface (the signer's own algorithm does the signing). */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    throw new Error('not used');
  }
}

const signer = new SignatureV4({
  credentials: { accessKeyId, secretAccessKey },
  region: REGION,
  service: 's3',
  sha256: Sha256,
  // S3 signs the path as sent, without encoding it a second time.
  uriEscapePath: false,
  applyChecksum: false,
});

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': body.length });
  res.end(body);
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/,]+)\/(\d{8})\/([^/,]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** The refusal S3 would give this request, or undefined when its signature holds. */
async function checkSignature(req: IncomingMessage, body: Buffer): Promise<string[] | undefined> {
  const match = AUTH.exec(req.headers.authorization ?? '');
  if (!match) return ['403', 'AccessDenied', 'Access Denied'];
  const [, keyId = '', , region = '', signedHeaders = '', signature = ''] = match;
  if (keyId !== accessKeyId) {
    return ['403', 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist.'];
  }
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!date) return ['403', 'AccessDenied', 'x-amz-date is missing or malformed'];
  const [year, month, day, hour, minute, second] = date.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const signingDate = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (Math.abs(Date.now() - signingDate.getTime()) > 15 * 60_000) {
    return [
      '403',
      'RequestTimeTooSkewed',
      'The difference between the request time and now is too large.',
    ];
  }
  const payload = String(req.headers['x-amz-content-sha256'] ?? '');
  if (/^[0-9a-f]{64}$/.test(payload)) {
    if (createHash('sha256').update(body).digest('hex') !== payload) {
      return [
        '400',
        'XAmzContentSHA256Mismatch',
        'The provided x-amz-content-sha256 does not match.',
      ];
    }
  } else if (payload !== 'UNSIGNED-PAYLOAD') {
    return ['400', 'InvalidRequest', 'x-amz-content-sha256 must be a SHA-256 or UNSIGNED-PAYLOAD'];
  }
  const names = signedHeaders.split(';');
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = req.headers[name];
    if (value === undefined)
      return ['403', 'SignatureDoesNotMatch', `signed header ${name} missing`];
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const url = new URL(req.url ?? '/', 'http://s3.invalid');
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  const signed = await signer.sign(
    {
      method: req.method ?? 'GET',
      protocol: 'https:',
      hostname: String(req.headers.host ?? '').replace(/:\d+$/, ''),
      path: url.pathname,
      query,
      headers,
    },
    { signingDate, signingRegion: region, signableHeaders: new Set(names) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ''))?.[1];
  if (expected !== signature) {
    return [
      '403',
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
    ];
  }
  return undefined;
}

const backend = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory: dir,
  silent: true,
  configureBuckets: [{ name: bucket, configs: [] }],
  // The front has checked the signature already; s3rver's own V2 check would refuse V4 requests
  // whose canonical form it computes differently.
  allowMismatchedSignatures: true,
  vhostBuckets: false,
});
const backendAddress = await backend.run();

const front = createHttpsServer(
  { cert: readFileSync(certFile), key: readFileSync(keyFile) },
  (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (tooLarge)
        return s3Error(res, 400, 'EntityTooLarge', 'Your proposed upload is too large.');
      const body = Buffer.concat(chunks);
      checkSignature(req, body).then(
        (refusal) => {
          if (refusal) {
            const [status = '403', code = 'AccessDenied', message = ''] = refusal;
            return s3Error(res, Number(status), code, message);
          }
          // s3rver knows one account of its own: the checked request goes on under its key.
          const headers = {
            ...req.headers,
            'content-length': String(body.length),
            authorization: String(req.headers.authorization).replace(
              /Credential=[^/]+\//,
              'Credential=S3RVER/',
            ),
          };
          delete headers['transfer-encoding'];
          const forward = httpRequest(
            {
              host: '127.0.0.1',
              port: backendAddress.port,
              method: req.method,
              path: req.url,
              headers,
            },
            (answer) => {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
            },
          );
          forward.on('error', () => res.destroy());
          res.on('close', () => forward.destroy());
          forward.end(body);
        },
        () => s3Error(res, 500, 'InternalError', 'signature check failed'),
      );
    });
    // A body cut before its Content-Length arrived never reaches the store.
  },
);
front.listen(0, '127.0.0.1', () => {
  console.log(`ready ${(front.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => process.exit(0));
// The test process that started this one is gone (killed, or crashed past its exit handlers).
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
