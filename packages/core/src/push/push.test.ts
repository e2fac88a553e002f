// Push on the wired client against a real Prosody with mod_cloud_notify: the server ties push to a
// session as well as to the account, so the client enables it at start and on every new stream.
// (The gateway's side, and wake-ups end to end, are tested in packages/push-gateway.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startProsody,
  trustCertificateAuthority,
  until,
  type ProsodyServer,
} from '@hush/test-utils';
import { openSession } from '../xmpp/session.ts';
import { createMemoryStorage } from '../storage/memory.ts';
import { startClient } from '../client.ts';
import { memoryPushState } from './types.ts';
import { Push } from './push.ts';
import { isHushError } from '../errors.ts';

const PASSWORD = 'push-client-password';
let server: ProsodyServer;

before(async () => {
  server = await startProsody({ push: {} });
  trustCertificateAuthority(server.caCert);
  await server.createAccount('una', PASSWORD);
});
after(() => server?.stop());

const enables = async () =>
  ((await server.readLogs()).match(/Push notifications enabled for una@localhost/g) ?? []).length;

test('the client enables push at start and again on every new stream', async () => {
  const state = memoryPushState();
  await state.save({
    provider: 'unifiedpush',
    endpoint: 'https://push.example.net/una',
    gateway: 'push.localhost',
    node: 'node-1',
    secret: 'secret-1',
  });
  const session = await openSession({
    service: server.websocketUrl,
    jid: 'una@localhost',
    password: PASSWORD,
    resource: 'phone',
    reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
  });
  const client = await startClient({
    session,
    storage: createMemoryStorage(),
    encryption: false,
    push: state,
  });
  try {
    assert.ok(client.push, 'push is there when asked for');
    await until(async () => (await enables()) === 1, 'push enabled at start');
    // A restart forgets the stream: the client logs in on a new one, and enables push there too.
    await server.restart();
    await until(async () => (await enables()) === 2, 'push enabled on the new stream', 60_000);
  } finally {
    await client.close();
    await session.close();
  }
});

test('a server without the push gateway refuses registration with a typed error', async () => {
  const session = await openSession({
    service: server.websocketUrl,
    jid: 'una@localhost',
    password: PASSWORD,
    resource: 'laptop',
  });
  try {
    const push = new Push({ session, state: memoryPushState() });
    await assert.rejects(
      push.enable({ provider: 'unifiedpush', endpoint: 'https://push.example.net/una' }),
      (error) => isHushError(error, 'NotAllowed'),
    );
  } finally {
    await session.close();
  }
});
