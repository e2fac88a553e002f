// A local HTTPS stand-in for the push services the gateway talks to (the vendors' own cannot be
// reached from the machines that test Hush): the Expo push API, Web Push endpoints and UnifiedPush
// endpoints, on one server with a certificate of the test CA. It records every request and checks
// what a real push service would: the VAPID JWT's signature and claims (RFC 8292), and it decrypts
// an RFC 8291 payload with the subscription's private key, as the browser would.
import { createServer, type Server } from 'node:https';
import {
  createECDH,
  createDecipheriv,
  createPublicKey,
  hkdfSync,
  randomBytes,
  verify,
} from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

export interface PushServiceStandIn {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Answers requests to `path` with `status` from now on (e.g. 410 for a forgotten endpoint). */
  answer(path: string, status: number): void;
  close(): Promise<void>;
}

export async function startPushServiceStandIn(tls: {
  cert: string;
  key: string;
}): Promise<PushServiceStandIn> {
  const requests: RecordedRequest[] = [];
  const statuses = new Map<string, number>();
  const server: Server = createServer(tls, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      requests.push({ path, headers: request.headers, body: Buffer.concat(chunks) });
      const status = statuses.get(path) ?? (path.startsWith('/--/') ? 200 : 201);
      if (path === '/--/api/v2/push/send') {
        // The Expo push API's answer: one ticket per message.
        response.writeHead(status, { 'content-type': 'application/json' });
        const tokenStatus = status === 200 ? statuses.get('expo-ticket') : undefined;
        response.end(
          JSON.stringify({
            data: [
              tokenStatus === 410
                ? {
                    status: 'error',
                    message: 'not a registered push notification recipient',
                    details: { error: 'DeviceNotRegistered' },
                  }
                : { status: 'ok', id: randomBytes(8).toString('hex') },
            ],
          }),
        );
        return;
      }
      response.writeHead(status);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}`,
    requests,
    answer: (path, status) => statuses.set(path, status),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A browser's side of a Web Push subscription: its P-256 key pair and auth secret. */
export function subscriptionKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    ecdh,
    auth,
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
  };
}

/**
 * RFC 8292: `Authorization: vapid t=JWT, k=KEY`. Checks the ES256 signature with the key sent and
 * the claims; returns them and the key.
 */
export function verifyVapid(
  authorization: string | undefined,
  endpoint: string,
): { claims: { aud: string; exp: number; sub: string }; publicKey: string } {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!match) throw new Error(`not a VAPID authorization: ${authorization}`);
  const [, jwt = '', key = ''] = match;
  const [header = '', payload = '', signature = ''] = jwt.split('.');
  const point = Buffer.from(key, 'base64url');
  if (point.length !== 65 || point[0] !== 4) throw new Error('VAPID key is not a P-256 point');
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
  const signed = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
  if (!signed) throw new Error('VAPID signature does not verify');
  const { alg } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg: string };
  if (alg !== 'ES256') throw new Error(`VAPID alg ${alg}`);
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
    aud: string;
    exp: number;
    sub: string;
  };
  if (claims.aud !== new URL(endpoint).origin) throw new Error(`VAPID aud ${claims.aud}`);
  const now = Date.now() / 1000;
  if (!(claims.exp > now && claims.exp <= now + 86_400)) throw new Error('VAPID exp out of range');
  return { claims, publicKey: key };
}

/** RFC 8291 (aes128gcm, RFC 8188): the browser's decryption of a push message body. */
export function decryptWebPush(
  body: Buffer,
  subscription: ReturnType<typeof subscriptionKeys>,
): string {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20] ?? 0;
  const serverPublicKey = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  if (ciphertext.length > recordSize) throw new Error('more than one record');
  const shared = subscription.ecdh.computeSecret(serverPublicKey);
  const keyInfo = Buffer.concat([
    Buffer.from('WebPush: info\0'),
    subscription.ecdh.getPublicKey(),
    serverPublicKey,
  ]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, subscription.auth, keyInfo, 32));
  const cek = Buffer.from(
    hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16),
  );
  const nonce = Buffer.from(
    hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12),
  );
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(-16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, -16)), decipher.final()]);
  // The last record ends with the delimiter 2, then zero padding.
  const end = padded.lastIndexOf(2);
  if (end < 0 || padded.subarray(end + 1).some((byte) => byte !== 0))
    throw new Error('bad padding');
  return padded.subarray(0, end).toString('utf8');
}
