// Push on the wired client against a real Prosody with mod_cloud_notify: the server ties push to a
// session as well as to the account, so the client enables it at start and on every new stream.
// (The gateway's side, and wake-ups end to end, are tested in packages/push-gateway.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import xml, { type Element } from '@xmpp/xml';
import { serverSuite, until } from '@hush/test-utils';
import { openSession, type XmppSession } from '../xmpp/session.ts';
import { createMemoryStorage } from '../storage/memory.ts';
import { startClient } from '../client.ts';
import { memoryPushState } from './types.ts';
import { Push } from './push.ts';
import { NS_HUSH_PUSH, NS_PUSH } from './build.ts';
import { isHushError } from '../errors.ts';

const PASSWORD = 'push-client-password';

const suite = serverSuite({
  server: { push: {} },
  accounts: ['una'],
  password: PASSWORD,
});

const enables = async () =>
  ((await suite.server.readLogs()).match(/Push notifications enabled for una@localhost/g) ?? [])
    .length;

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
    service: suite.server.websocketUrl,
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
    await suite.server.restart();
    await until(async () => (await enables()) === 2, 'push enabled on the new stream', 60_000);
  } finally {
    await client.close();
    await session.close();
  }
});

test('a server without the push gateway refuses registration with a typed error', async () => {
  const session = await openSession({
    service: suite.server.websocketUrl,
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

/**
 * A session whose server and gateway take everything: each register gets a new node. Only what
 * Push uses of a session is there (the stanzas are what the tests read).
 */
function acceptingSession() {
  const sent: Element[] = [];
  let nodes = 0;
  const session = {
    jid: 'una@localhost/phone',
    request(iq: Element) {
      sent.push(iq);
      if (iq.getChild('register', NS_HUSH_PUSH)) {
        nodes++;
        return Promise.resolve(
          xml(
            'iq',
            { type: 'result' },
            xml('registered', { xmlns: NS_HUSH_PUSH, node: `n${nodes}`, secret: `s${nodes}` }),
          ),
        );
      }
      return Promise.resolve(xml('iq', { type: 'result' }));
    },
  };
  return { session: session as unknown as XmppSession, sent };
}

test('the words a phone shows go in the register IQ, and other words register again', async () => {
  const { session, sent } = acceptingSession();
  const push = new Push({ session, state: memoryPushState() });
  const endpoint = 'ExponentPushToken[una-token-0123456789]';
  const russian = { title: 'Hush', body: 'Новое сообщение' };
  const first = await push.enable({ provider: 'expo', endpoint, words: russian });
  const register = sent[0]?.getChild('register', NS_HUSH_PUSH);
  assert.deepEqual(register?.getChild('words')?.attrs, russian);
  assert.equal(register?.getChildText('endpoint'), endpoint);
  assert.deepEqual((await push.current())?.words, russian, 'kept with the registration');

  // The same words again (a start, a new stream): enabled again, not registered again.
  sent.length = 0;
  assert.equal(
    (await push.enable({ provider: 'expo', endpoint, words: russian })).node,
    first.node,
  );
  assert.deepEqual(sent.map((iq) => iq.children.map((child) => (child as Element).name)).flat(), [
    'enable',
  ]);

  // The person switched to English: a new registration, the old node disabled and unregistered.
  sent.length = 0;
  const english = { title: 'Hush', body: 'New message' };
  const second = await push.enable({ provider: 'expo', endpoint, words: english });
  assert.notEqual(second.node, first.node);
  assert.deepEqual(sent[0]?.getChild('register', NS_HUSH_PUSH)?.getChild('words')?.attrs, english);
  assert.ok(
    sent.some((iq) => iq.getChild('disable', NS_PUSH)?.attrs.node === first.node),
    'the old node disabled',
  );
  assert.ok(
    sent.some((iq) => iq.getChild('unregister', NS_HUSH_PUSH)?.attrs.node === first.node),
    'the old node unregistered',
  );

  // No words (a browser) sends no <words/>.
  sent.length = 0;
  await push.enable({ provider: 'unifiedpush', endpoint: 'https://push.example.net/una' });
  assert.equal(sent[0]?.getChild('register', NS_HUSH_PUSH)?.getChild('words'), undefined);
});
