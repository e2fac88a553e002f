// How connection failures reach callers: every way of not getting through is a typed error.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
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
