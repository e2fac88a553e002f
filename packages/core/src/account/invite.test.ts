import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInvite } from './invite.ts';
import { isHushError } from '../errors.ts';

test('parses account and contact invites', () => {
  assert.deepEqual(parseInvite('xmpp:Example.org?register;preauth=abc_DEF-123'), {
    domain: 'example.org',
    token: 'abc_DEF-123',
    allowsRegistration: true,
  });
  assert.deepEqual(parseInvite('xmpp:alice@example.org?roster;preauth=tok1234;ibr=y'), {
    domain: 'example.org',
    token: 'tok1234',
    inviter: 'alice@example.org',
    allowsRegistration: true,
  });
  assert.equal(parseInvite('xmpp:bob@example.org?register;preauth=tok1234').username, 'bob');
});

test('rejects malformed invites with a typed error', () => {
  for (const bad of [
    '',
    'https://example.org/',
    'xmpp:example.org',
    'xmpp:example.org?register',
    'xmpp:example.org?register;preauth=',
    'xmpp:example.org?register;preauth=a"b<c>',
    'xmpp:exa mple.org?register;preauth=abcdef',
    'xmpp:example.org?message;preauth=abcdef',
    'xmpp:example.org?roster;preauth=abcdef',
    'xmpp:%E0%A4%A?register;preauth=abcdef',
  ]) {
    assert.throws(
      () => parseInvite(bad),
      (e) => isHushError(e, 'InviteMalformed'),
      bad,
    );
  }
});
