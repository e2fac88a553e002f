// The saved login's text: a round trip, and anything else is a typed error that asks for the
// password again (never a half-read login).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHushError } from '../errors.ts';
import {
  decodeSavedLogin,
  encodeSavedLogin,
  fastTokenUsable,
  newClientId,
  type SavedLogin,
} from './saved-login.ts';

const login: SavedLogin = {
  clientId: newClientId(),
  scram: {
    hash: 'SHA-256',
    salt: 'c2FsdA==',
    iterations: 10_000,
    clientKey: new Uint8Array(32).fill(7),
    serverKey: new Uint8Array(32).fill(9),
  },
  fast: { mechanism: 'HT-SHA-256-EXPR', token: 'secret-token:x', expiry: '2030-01-01T00:00:00Z' },
};

test('round-trips keys, token and client id', () => {
  assert.deepEqual(decodeSavedLogin(encodeSavedLogin(login)), login);
  const keysOnly = { clientId: login.clientId, ...(login.scram && { scram: login.scram }) };
  assert.deepEqual(decodeSavedLogin(encodeSavedLogin(keysOnly)), keysOnly);
  assert.match(
    login.clientId,
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
});

test('unreadable text is WrongPassword, whatever is wrong with it', () => {
  const good = JSON.parse(encodeSavedLogin(login)) as Record<string, unknown>;
  for (const bad of [
    '',
    'not json',
    'null',
    '[]',
    JSON.stringify({ ...good, v: 2 }),
    JSON.stringify({ ...good, clientId: '' }),
    JSON.stringify({ ...good, scram: { ...(good.scram as object), clientKey: '%%%' } }),
    JSON.stringify({ ...good, scram: { ...(good.scram as object), hash: 'MD5' } }),
    JSON.stringify({ ...good, scram: { ...(good.scram as object), iterations: 1.5 } }),
    JSON.stringify({ ...good, fast: { mechanism: 'HT-SHA-256-NONE' } }),
  ])
    assert.throws(
      () => decodeSavedLogin(bad),
      (error) => isHushError(error, 'WrongPassword'),
      bad,
    );
});

test('a token is offered only before its expiry', () => {
  const token = { mechanism: 'HT-SHA-256-NONE', token: 't', expiry: '2030-01-01T00:00:00Z' };
  assert.equal(fastTokenUsable(token, Date.parse('2029-12-31T23:59:59Z')), true);
  assert.equal(fastTokenUsable(token, Date.parse('2030-01-01T00:00:00Z')), false);
  assert.equal(fastTokenUsable({ ...token, expiry: 'soon' }), false);
  assert.equal(fastTokenUsable(undefined), false);
});
