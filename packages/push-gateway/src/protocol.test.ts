import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '@xmpp/component';
import {
  BadRequest,
  parsePublish,
  parseRegister,
  NS_PUSH,
  NS_DATA,
  PUBLISH_OPTIONS,
} from './protocol.ts';
import { RegistrationStore } from './store.ts';
import { RateLimiter } from './rate-limit.ts';
import { isPrivateEndpoint } from './endpoint-policy.ts';

const register = (
  provider: string,
  endpoint: string,
  keys?: Record<string, string>,
  words?: Record<string, string>,
) =>
  xml(
    'register',
    { provider },
    xml('endpoint', {}, endpoint),
    keys ? xml('keys', keys) : null,
    words ? xml('words', words) : null,
  );
const EXPO_TOKEN = 'ExponentPushToken[abcdefghijklmnop]';

test('a registration is read for each provider, and anything else is refused with a reason', () => {
  assert.deepEqual(parseRegister(register('expo', 'ExponentPushToken[abcdefghijklmnop]')), {
    provider: 'expo',
    endpoint: 'ExponentPushToken[abcdefghijklmnop]',
  });
  assert.equal(
    parseRegister(
      register('webpush', 'https://push.example.net/x', { p256dh: 'AbC_-', auth: 'xy' }),
    ).keys?.auth,
    'xy',
  );
  assert.equal(parseRegister(register('unifiedpush', 'https://up.example.net/u')).keys, undefined);
  for (const [bad, why] of [
    [register('apns', 'https://x.example/'), /provider/],
    [register('expo', 'https://exp.host/'), /Expo push token/],
    [register('webpush', 'http://push.example.net/x', { p256dh: 'a', auth: 'b' }), /https/],
    [register('webpush', 'https://push.example.net/x'), /keys/],
    [register('webpush', 'https://push.example.net/x', { p256dh: 'a b', auth: 'c' }), /base64url/],
    [register('unifiedpush', 'not a url'), /URL/],
    [register('unifiedpush', 'https://x.example/' + 'a'.repeat(2000)), /endpoint/],
  ] as const) {
    assert.throws(
      () => parseRegister(bad),
      (error) => error instanceof BadRequest && why.test(error.message),
    );
  }
});

const publish = (fields: Record<string, string>, secret?: string) =>
  xml(
    'pubsub',
    { xmlns: 'http://jabber.org/protocol/pubsub' },
    xml(
      'publish',
      { node: 'n1' },
      xml(
        'item',
        {},
        xml(
          'notification',
          { xmlns: NS_PUSH },
          xml(
            'x',
            { xmlns: NS_DATA, type: 'submit' },
            ...Object.entries(fields).map(([name, value]) =>
              xml('field', { var: name }, xml('value', {}, value)),
            ),
          ),
        ),
      ),
    ),
    secret === undefined
      ? null
      : xml(
          'publish-options',
          {},
          xml(
            'x',
            { xmlns: NS_DATA, type: 'submit' },
            xml('field', { var: 'FORM_TYPE' }, xml('value', {}, PUBLISH_OPTIONS)),
            xml('field', { var: 'secret' }, xml('value', {}, secret)),
          ),
        ),
  );

test('a phone registers the words its wake-ups show; unusable words are refused', () => {
  assert.deepEqual(
    parseRegister(
      register('expo', EXPO_TOKEN, undefined, { title: 'Hush', body: 'Новое сообщение' }),
    ),
    { provider: 'expo', endpoint: EXPO_TOKEN, words: { title: 'Hush', body: 'Новое сообщение' } },
  );
  assert.deepEqual(
    parseRegister(register('expo', EXPO_TOKEN, undefined, { title: ' Hush ', body: ' Hi ' })).words,
    { title: 'Hush', body: 'Hi' },
    'trimmed',
  );
  assert.equal(parseRegister(register('expo', EXPO_TOKEN)).words, undefined, 'English by default');
  // A browser's worker has its own words: the gateway keeps none for it.
  assert.equal(
    parseRegister(
      register('unifiedpush', 'https://up.example.net/u', undefined, { title: 'T', body: 'B' }),
    ).words,
    undefined,
  );
  for (const words of [
    { body: 'New message' },
    { title: 'Hush' },
    { title: '  ', body: 'New message' },
    { title: 'Hush', body: '' },
    { title: 'H'.repeat(65), body: 'New message' },
    { title: 'Hush', body: 'b'.repeat(257) },
    { title: 'Hush', body: 'New\nmessage' },
    { title: 'Hu\u0000sh', body: 'New message' },
    { title: 'Hush', body: 'New\u0085message' },
  ])
    assert.throws(
      () => parseRegister(register('expo', EXPO_TOKEN, undefined, words)),
      (error) => error instanceof BadRequest && /words/.test(error.message),
      JSON.stringify(words),
    );
  assert.equal(
    parseRegister(
      register('expo', EXPO_TOKEN, undefined, { title: 'H'.repeat(64), body: 'b'.repeat(256) }),
    ).words?.body.length,
    256,
    'the longest words allowed',
  );
});

test("a publish gives its node and secret; it is important only with the server's body mark", () => {
  assert.deepEqual(
    parsePublish(publish({ 'message-count': '1', 'last-message-body': 'New message' }, 's3')),
    {
      node: 'n1',
      secret: 's3',
      important: true,
    },
  );
  assert.equal(parsePublish(publish({ 'message-count': '1' }, 's3')).important, false);
  assert.equal(parsePublish(publish({ 'message-count': '1' })).secret, undefined);
  assert.throws(() => parsePublish(xml('pubsub', {}, xml('publish', {}))), BadRequest);
});

test('the store keeps one registration per endpoint, checks secrets, and survives reopening', async (t) => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = await mkdtemp(join(tmpdir(), 'hush-push-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'registrations.sqlite');
  let store = new RegistrationStore(file);
  const first = store.register({ provider: 'unifiedpush', endpoint: 'https://up.example/1' });
  const second = store.register({ provider: 'unifiedpush', endpoint: 'https://up.example/1' });
  assert.notEqual(first.node, second.node);
  assert.equal(store.count(), 1, 'the same endpoint registered again replaces the old node');
  assert.equal(store.authorize(second.node, second.secret)?.endpoint, 'https://up.example/1');
  assert.equal(store.authorize(second.node, 'wrong'), undefined);
  assert.equal(store.authorize(second.node, undefined), undefined);
  store.close();
  store = new RegistrationStore(file);
  assert.equal(store.get(second.node)?.secret, second.secret);
  assert.equal(store.remove(second.node), true);
  assert.equal(store.count(), 0);
  store.close();
});

test('a store file made before words were kept opens, gains them, and keeps its registrations', async (t) => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { DatabaseSync } = await import('node:sqlite');
  const dir = await mkdtemp(join(tmpdir(), 'hush-push-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'registrations.sqlite');
  // The schema as the first release made it.
  const old = new DatabaseSync(file);
  old.exec(`
    CREATE TABLE registrations (
      node TEXT PRIMARY KEY,
      secret TEXT NOT NULL,
      provider TEXT NOT NULL,
      endpoint TEXT NOT NULL,
      p256dh TEXT,
      auth TEXT,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX registrations_endpoint ON registrations (endpoint);
    INSERT INTO registrations VALUES ('n-old', 's-old', 'expo', '${EXPO_TOKEN}', NULL, NULL, 1);
  `);
  old.close();

  let store = new RegistrationStore(file);
  const kept = store.get('n-old');
  assert.equal(kept?.endpoint, EXPO_TOKEN);
  assert.equal(kept?.words, undefined, 'an old registration shows the English default');
  const words = { title: 'Hush', body: 'Новое сообщение' };
  const russian = store.register({
    provider: 'expo',
    endpoint: 'ExponentPushToken[another-device-0123]',
    words,
  });
  store.close();
  store = new RegistrationStore(file);
  assert.deepEqual(store.get(russian.node)?.words, words, 'words survive reopening');
  assert.equal(store.get('n-old')?.secret, 's-old');
  assert.equal(store.count(), 2);
  store.close();
});

test('one wake-up per device in the interval, and no more than the hourly ceiling', () => {
  const limiter = new RateLimiter({ intervalMs: 10_000, perHour: 3 });
  assert.equal(limiter.take('a', 0), true);
  assert.equal(limiter.take('a', 5_000), false);
  assert.equal(limiter.take('b', 5_000), true, 'each device has its own allowance');
  assert.equal(limiter.take('a', 10_000), true);
  assert.equal(limiter.take('a', 20_000), true);
  assert.equal(limiter.take('a', 30_000), false, 'three in the hour already');
  assert.equal(limiter.take('a', 3_600_001), true, 'the first has left the hour');
});

test('endpoints on this machine or a private network are refused, public ones taken', () => {
  for (const host of [
    'localhost',
    'push.localhost',
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '[::1]',
    '[fd00::1]',
    '[fe80::1]',
    '[::ffff:127.0.0.1]',
    'intranet',
  ])
    assert.equal(isPrivateEndpoint(`https://${host}/push`), true, host);
  for (const host of [
    'updates.push.services.mozilla.com',
    'fcm.googleapis.com',
    '8.8.8.8',
    '[2001:db8::1]',
  ])
    assert.equal(isPrivateEndpoint(`https://${host}:443/push`), false, host);
});
