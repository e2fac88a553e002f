import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, openState, readConfig } from './config.ts';

test('settings come from the environment, with defaults, and a bad one is named', () => {
  const config = readConfig({ HUSH_PUSH_DOMAIN: 'Chat.Example.org' });
  assert.equal(config.domain, 'chat.example.org');
  assert.equal(config.address, 'push.chat.example.org');
  assert.equal(config.service, 'xmpp://127.0.0.1:5347');
  assert.deepEqual(config.providers, ['expo', 'webpush', 'unifiedpush']);
  assert.equal(config.vapidSubject, 'mailto:postmaster@chat.example.org');
  for (const [env, named] of [
    [{}, /HUSH_PUSH_DOMAIN/],
    [{ HUSH_PUSH_DOMAIN: 'x.org', HUSH_PUSH_SERVICE: 'tcp://1.2.3.4' }, /HUSH_PUSH_SERVICE/],
    [{ HUSH_PUSH_DOMAIN: 'x.org', HUSH_PUSH_PROVIDERS: 'expo,apns' }, /apns/],
    [{ HUSH_PUSH_DOMAIN: 'x.org', HUSH_PUSH_VAPID_SUBJECT: 'me' }, /VAPID_SUBJECT/],
    [{ HUSH_PUSH_DOMAIN: 'x.org', HUSH_PUSH_EXPO_URL: 'http://exp.host' }, /EXPO_URL/],
    [{ HUSH_PUSH_DOMAIN: 'x.org', HUSH_PUSH_LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
  ] as const) {
    assert.throws(
      () => readConfig(env),
      (error) =>
        error instanceof ConfigError && error.code === 'ConfigInvalid' && named.test(error.message),
    );
  }
});

test('the state folder gets a secret and VAPID keys once, private, and keeps them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hush-push-state-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const state = join(dir, 'state');
  const first = await openState(state);
  assert.match(first.secret, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(first.vapid.publicKey, 'base64url').length, 65);
  assert.equal((await stat(state)).mode & 0o777, 0o700);
  assert.equal((await stat(join(state, 'vapid.json'))).mode & 0o777, 0o600);
  const second = await openState(state);
  assert.deepEqual(second, first);
  assert.equal((await readFile(join(state, 'secret'), 'utf8')).trim(), first.secret);
});
