// Which code a failed connection, login or request gets: a specific one wherever the server said
// what happened, ProtocolError only for what no other code describes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHushError, stanzaErrorCode } from './session-errors.ts';

/** An error shaped as xmpp.js's SASLError, StreamError or StanzaError. */
const xmppError = (name: string, condition: string, text = '') =>
  Object.assign(new Error(condition + (text ? ` - ${text}` : '')), { name, condition, text });

test('a login refusal says why where SASL does', () => {
  const code = (condition: string) => toHushError(xmppError('SASLError', condition)).code;
  assert.equal(code('not-authorized'), 'WrongPassword');
  assert.equal(code('credentials-expired'), 'WrongPassword');
  assert.equal(code('account-disabled'), 'NotAllowed');
  assert.equal(code('encryption-required'), 'EncryptionRequired');
  assert.equal(code('temporary-auth-failure'), 'ServerUnreachable');
  // The two sides disagreeing on the mechanism is the protocol going wrong.
  assert.equal(code('invalid-mechanism'), 'ProtocolError');
  assert.equal(code('malformed-request'), 'ProtocolError');
  assert.equal(
    toHushError(xmppError('SASLError', 'not-authorized', 'bad')).message,
    'Wrong address or password.',
  );
});

test('a stream error is ServerUnreachable, Timeout or NotAllowed where it says so', () => {
  const code = (condition: string) => toHushError(xmppError('StreamError', condition)).code;
  assert.equal(code('system-shutdown'), 'ServerUnreachable');
  assert.equal(code('host-unknown'), 'ServerUnreachable');
  assert.equal(code('remote-connection-failed'), 'ServerUnreachable');
  assert.equal(code('connection-timeout'), 'Timeout');
  assert.equal(code('policy-violation'), 'NotAllowed');
  assert.equal(code('bad-format'), 'ProtocolError');
  assert.equal(code('conflict'), 'ProtocolError');
  assert.match(
    toHushError(xmppError('StreamError', 'system-shutdown', 'Going down for maintenance')).message,
    /shutting down \(Going down for maintenance\)\.$/,
  );
});

test('a stanza error is NotAllowed, ServerUnreachable or Timeout where it says so', () => {
  const code = (condition: string) => toHushError(xmppError('StanzaError', condition)).code;
  assert.equal(code('forbidden'), 'NotAllowed');
  assert.equal(code('not-authorized'), 'NotAllowed');
  assert.equal(code('remote-server-not-found'), 'ServerUnreachable');
  assert.equal(code('remote-server-timeout'), 'Timeout');
  assert.equal(code('undefined-condition'), 'ProtocolError');
  assert.equal(stanzaErrorCode('not-allowed'), 'NotAllowed');
  assert.equal(stanzaErrorCode('item-not-found'), undefined);
  assert.equal(stanzaErrorCode(undefined), undefined);
});

test('a condition named like an object property is not taken for a known one', () => {
  for (const name of ['SASLError', 'StreamError', 'StanzaError'])
    for (const condition of ['constructor', '__proto__', 'toString'])
      assert.equal(toHushError(xmppError(name, condition)).code, 'ProtocolError');
  assert.equal(stanzaErrorCode('constructor'), undefined);
});

test('a connection broken under a write is ServerUnreachable', () => {
  for (const code of ['EPIPE', 'ECONNABORTED', 'ECONNRESET'])
    assert.equal(
      toHushError(Object.assign(new Error('write failed'), { code })).code,
      'ServerUnreachable',
    );
  assert.equal(toHushError(new Error('something else')).code, 'ProtocolError');
});
