// Sign-up with an invite on a real Prosody, and what happens to that session afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, startTcpProxy, type TcpProxy } from '@hush/test-utils';
import xml from '@xmpp/xml';
import { registerAccount } from './register.ts';

let proxy: TcpProxy;
const suite = serverSuite({
  started: async (server) => {
    proxy = await startTcpProxy(server.ports.c2sTls);
  },
  closeFirst: () => proxy?.close(),
});

test('the session a sign-up opens comes back after a dropped connection (the invite is not redeemed twice)', async () => {
  const session = await registerAccount({
    service: `xmpps://localhost:${proxy.port}`,
    invite: await suite.server.createInvite(),
    username: 'newcomer',
    password: 'newcomer-password',
  });
  try {
    // Back either on a new stream ('online') or on the old one, resumed (stream management).
    const online = new Promise<void>((resolve) => {
      session.client.once('online', () => resolve());
      session.client.streamManagement.on('resumed', () => resolve());
    });
    proxy.cut();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      online,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the session never came back')), 15_000);
      }),
    ]).finally(() => clearTimeout(timer));
    const pong = await session.request(
      xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
    );
    assert.equal(pong.attrs.type, 'result');
    assert.match(session.jid, /^newcomer@localhost\//);
  } finally {
    await session.close();
  }
});
