import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isHushError } from '@hush/core';
import { inviteUri, readInvite } from './invite-link.ts';

describe('invite links', () => {
  it('takes xmpp: URIs as they are', () => {
    assert.equal(
      inviteUri(' xmpp:chat.example?register;preauth=abcd1234 '),
      'xmpp:chat.example?register;preauth=abcd1234',
    );
  });

  it('reads the invite page link of mod_invites_page', () => {
    const invite = readInvite('https://chat.example/invite?abcd1234');
    assert.equal(invite.domain, 'chat.example');
    assert.equal(invite.token, 'abcd1234');
    assert.equal(invite.allowsRegistration, true);
  });

  it('finds an xmpp: URI embedded in a web link', () => {
    const uri = 'xmpp:chat.example?register;preauth=abcd1234';
    assert.equal(inviteUri(`https://chat.example/#${encodeURIComponent(uri)}`), uri);
    assert.equal(inviteUri(`https://chat.example/?invite=${encodeURIComponent(uri)}`), uri);
  });

  it('refuses links without a token as InviteMalformed', () => {
    for (const text of ['https://chat.example/', 'hello', 'ftp://x/invite?abcd1234']) {
      assert.throws(
        () => readInvite(text),
        (e) => isHushError(e, 'InviteMalformed'),
      );
    }
  });
});
