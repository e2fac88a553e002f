// How connection failures reach callers: every way of not getting through is a typed error.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer, connect as connectTls } from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProsody, trustCertificateAuthority, type ProsodyServer } from '@hush/test-utils';
import { isHushError } from '../errors.ts';
import { openSession, toHushError } from './session.ts';

let server: ProsodyServer;
before(async () => {
  server = await startProsody();
  trustCertificateAuthority(server.caCert);
  await server.createAccount('amy', 'amy-password');
});
after(async () => {
  await server?.stop();
});

test('a WebSocket that cannot connect is ServerUnreachable, not a protocol error', async () => {
  // What xmpp.js hands on from Node's WebSocket when the handshake fails: no errno, only a message.
  const failed = Object.assign(new Error('Received network error or non-101 status code.'), {
    url: 'wss://localhost:1/xmpp-websocket',
  });
  assert.equal(toHushError(failed).code, 'ServerUnreachable');
  assert.equal(
    toHushError(Object.assign(new Error('x'), { code: 'ECONNERROR' })).code,
    'ServerUnreachable',
  );

  await server.halt();
  try {
    await assert.rejects(
      openSession({ service: server.websocketUrl, jid: 'amy@localhost', password: 'amy-password' }),
      (error) => isHushError(error, 'ServerUnreachable'),
    );
  } finally {
    await server.start();
  }
  const session = await openSession({
    service: server.websocketUrl,
    jid: 'amy@localhost',
    password: 'amy-password',
  });
  await session.close();
});

/**
 * A man in the middle on the STARTTLS port: it forwards both ways, but rewrites the server's first
 * stream features with `rewrite` (the client never learns that TLS is on offer) and records every
 * byte the client sends.
 */
async function startStrippingProxy(
  targetPort: number,
  rewrite: (features: string) => string,
): Promise<{
  port: number;
  fromClient: () => string;
  accepted: () => number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const received: Buffer[] = [];
  let accepted = 0;
  const proxy = createServer((client) => {
    accepted++;
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let pending = '';
    let rewritten = false;
    client.on('data', (chunk: Buffer) => {
      received.push(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (rewritten) {
        client.write(chunk);
        return;
      }
      pending += chunk.toString('utf8');
      const end = pending.indexOf('</stream:features>');
      if (end < 0) return;
      rewritten = true;
      client.write(rewrite(pending));
      pending = '';
    });
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address() as AddressInfo;
  return {
    port: address.port,
    fromClient: () => Buffer.concat(received).toString('utf8'),
    accepted: () => accepted,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

const STARTTLS =
  /<starttls xmlns=['"]urn:ietf:params:xml:ns:xmpp-tls['"]\s*(?:\/>|>.*?<\/starttls>)/s;
const MECHANISMS =
  "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-256</mechanism>" +
  '<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms>';

test('a man in the middle that strips STARTTLS gets nothing of the account', async () => {
  const attacks: [string, (features: string) => string][] = [
    // The server's features without STARTTLS, and the login mechanisms it would offer inside TLS.
    ['STARTTLS replaced by SASL', (features) => features.replace(STARTTLS, MECHANISMS)],
    // Straight to resource binding, as if the client were already logged in.
    [
      'STARTTLS replaced by resource binding',
      (features) => features.replace(STARTTLS, "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"),
    ],
  ];
  for (const [name, rewrite] of attacks) {
    const proxy = await startStrippingProxy(server.ports.c2s, rewrite);
    try {
      await assert.rejects(
        openSession({
          service: `xmpp://localhost:${proxy.port}`,
          jid: 'amy@localhost',
          password: 'amy-password',
          resource: 'amy-phone',
          timeoutMs: 10_000,
        }),
        (error) => isHushError(error, 'EncryptionRequired'),
        name,
      );
      const sent = proxy.fromClient();
      assert.ok(sent.includes('<stream:stream'), `${name}: the client opened a stream`);
      for (const secret of [
        '<auth',
        '<response',
        '<authenticate',
        '<iq',
        '<message',
        '<presence',
        'amy',
        btoa('n,,n=amy'),
      ]) {
        assert.ok(!sent.includes(secret), `${name}: the client sent ${secret} in clear text`);
      }
    } finally {
      await proxy.close();
    }
  }
});

test('ws:// is refused before anything is sent', async () => {
  const proxy = await startStrippingProxy(server.ports.https, (features) => features);
  try {
    await assert.rejects(
      openSession({
        service: `ws://localhost:${proxy.port}/xmpp-websocket`,
        jid: 'amy@localhost',
        password: 'amy-password',
        timeoutMs: 10_000,
      }),
      (error) => isHushError(error, 'EncryptionRequired'),
    );
    assert.equal(proxy.accepted(), 0);
  } finally {
    await proxy.close();
  }
});

test('STARTTLS and direct TLS still log in, with a verified certificate', async () => {
  for (const service of [
    `xmpp://localhost:${server.ports.c2s}`,
    `xmpps://localhost:${server.ports.c2sTls}`,
    server.websocketUrl,
  ]) {
    const session = await openSession({ service, jid: 'amy@localhost', password: 'amy-password' });
    assert.equal(session.client.isSecure(), true, service);
    await session.close();
  }
});

test('a socket the connection lets go of keeps an error listener, on every transport: its later reset ends nothing', async () => {
  for (const service of [
    `xmpp://localhost:${server.ports.c2s}`,
    `xmpps://localhost:${server.ports.c2sTls}`,
    server.websocketUrl,
  ]) {
    const session = await openSession({ service, jid: 'amy@localhost', password: 'amy-password' });
    const connection = session.client as unknown as {
      socket: { emit(event: 'error', error: Error): boolean };
      _detachSocket(): void;
    };
    const socket = connection.socket;
    // As xmpp.js lets go of a socket it gave up on (no answer to an ack request): its own error
    // listener goes with it. Without another, the reset below is thrown (an unhandled 'error').
    connection._detachSocket();
    assert.doesNotThrow(() => socket.emit('error', new Error('read ECONNRESET')), service);
    await session.close().catch(() => undefined);
  }
});

/**
 * A man in the middle with a certificate the client accepts (here the server's own: a mis-issued
 * one works the same): it ends the client's TLS, opens its own to the server, and relays the XMPP
 * in between, rewriting what the server sends with `rewrite`.
 */
async function startTlsRelay(
  rewrite: (fromServer: string) => string,
): Promise<{ port: number; close(): Promise<void> }> {
  const certs = join(server.dir, 'certs');
  const sockets = new Set<Socket>();
  const relay = createTlsServer(
    {
      key: readFileSync(join(certs, `${server.domain}.key`)),
      cert: readFileSync(join(certs, `${server.domain}.crt`)),
    },
    (client) => {
      const upstream = connectTls({
        port: server.ports.c2sTls,
        host: '127.0.0.1',
        servername: server.domain,
        ca: server.caCert,
      });
      sockets.add(client).add(upstream);
      client.on('data', (chunk: Buffer) => upstream.write(chunk));
      upstream.on('data', (chunk: Buffer) => client.write(rewrite(chunk.toString('utf8'))));
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    },
  );
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: (relay.address() as AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}

test('channel binding: logins bind SCRAM to the TLS session, so a relay with a valid certificate cannot log in as the user', async () => {
  for (const service of [
    `xmpp://localhost:${server.ports.c2s}`,
    `xmpps://localhost:${server.ports.c2sTls}`,
  ]) {
    const session = await openSession({ service, jid: 'amy@localhost', password: 'amy-password' });
    try {
      assert.equal(session.mechanism, 'SCRAM-SHA-256-PLUS', service);
    } finally {
      await session.close();
    }
  }
  const attacks: [string, (fromServer: string) => string][] = [
    ['relayed as is', (text) => text],
    [
      'relayed with the -PLUS mechanisms removed',
      (text) =>
        text
          .replace(/<mechanism>SCRAM-SHA-[0-9]+-PLUS<\/mechanism>/g, '')
          .replace(/<sasl-channel-binding\b.*?<\/sasl-channel-binding>/s, ''),
    ],
  ];
  for (const [name, rewrite] of attacks) {
    const relay = await startTlsRelay(rewrite);
    try {
      await assert.rejects(
        openSession({
          service: `xmpps://localhost:${relay.port}`,
          jid: 'amy@localhost',
          password: 'amy-password',
          timeoutMs: 10_000,
        }),
        (error) => isHushError(error, 'CertificateUntrusted'),
        name,
      );
    } finally {
      await relay.close();
    }
  }
});
