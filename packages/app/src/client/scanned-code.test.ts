import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatVerificationUri, HushError, isHushError } from '@hush/core';
import { followCode, readScannedCode, type CodeActions } from './scanned-code.ts';

const fingerprint = 'a1'.repeat(32);
const verification = formatVerificationUri({
  jid: 'alice@example.org',
  devices: [{ deviceId: 1234, fingerprint }],
});

/** Actions that record what was asked; `contacts` are the addresses already in the roster. */
function recorder(contacts: string[] = [], verify?: (uri: string) => Promise<void>) {
  const calls: string[] = [];
  const actions: CodeActions = {
    account: 'bob@example.org',
    isContact: (jid) => contacts.includes(jid),
    add: async (jid) => {
      calls.push(`add ${jid}`);
      return jid;
    },
    acceptInvite: async (uri) => {
      calls.push(`invite ${uri}`);
      return 'alice@example.org';
    },
    verify: async (uri) => {
      calls.push(`verify ${uri}`);
      await verify?.(uri);
    },
  };
  return { calls, actions };
}

describe('scanned codes', () => {
  it('tells verification codes, contact invites and addresses apart', () => {
    assert.deepEqual(readScannedCode(` ${verification} `), {
      kind: 'verification',
      jid: 'alice@example.org',
      uri: verification,
    });
    assert.deepEqual(readScannedCode('xmpp:alice@example.org?roster;preauth=tok12345;ibr=y'), {
      kind: 'invite',
      jid: 'alice@example.org',
      uri: 'xmpp:alice@example.org?roster;preauth=tok12345;ibr=y',
    });
    for (const text of [
      'xmpp:Alice@Example.org',
      'xmpp:alice@example.org?roster',
      'xmpp:alice%40example.org?message;body=hi',
      'alice@example.org',
    ]) {
      assert.deepEqual(readScannedCode(text), { kind: 'address', jid: 'alice@example.org' }, text);
    }
  });

  it('refuses links it cannot follow with typed errors', () => {
    assert.throws(
      () => readScannedCode('xmpp:example.org?register;preauth=tok12345'),
      (e) => isHushError(e, 'InviteInvalid'),
    );
    for (const text of ['https://example.org/', 'xmpp:example.org', 'xmpp:?omemo-sid-1=ab']) {
      assert.throws(
        () => readScannedCode(text),
        (e) => isHushError(e, 'InviteMalformed'),
        text,
      );
    }
  });

  it('verifies the device first, then adds its owner when they are not a contact yet', async () => {
    const { calls, actions } = recorder();
    assert.deepEqual(await followCode(verification, actions), {
      jid: 'alice@example.org',
      verified: true,
    });
    assert.deepEqual(calls, [`verify ${verification}`, 'add alice@example.org']);

    const known = recorder(['alice@example.org']);
    await followCode(verification, known.actions);
    assert.deepEqual(known.calls, [`verify ${verification}`]);
  });

  it('adds nobody when the key differs from the one known', async () => {
    const { calls, actions } = recorder([], async () => {
      throw new HushError('UntrustedIdentity', 'Device 1234 has a different key.');
    });
    await assert.rejects(followCode(verification, actions), (e) =>
      isHushError(e, 'UntrustedIdentity'),
    );
    assert.deepEqual(calls, [`verify ${verification}`]);
  });

  it('follows invites and addresses', async () => {
    const { calls, actions } = recorder();
    await followCode(
      'https://example.org/?i=xmpp%3Aalice%40example.org%3Froster%3Bpreauth%3Dtok12345',
      actions,
    );
    await followCode('xmpp:carol@example.org', actions);
    assert.deepEqual(calls, [
      'invite xmpp:alice@example.org?roster;preauth=tok12345',
      'add carol@example.org',
    ]);
  });

  it('from a contact, takes only a verification code of that contact', async () => {
    const { calls, actions } = recorder(['alice@example.org', 'carol@example.org']);
    await assert.rejects(followCode(verification, actions, 'carol@example.org'), (e) =>
      isHushError(e, 'WrongCode'),
    );
    await assert.rejects(followCode('xmpp:alice@example.org', actions, 'alice@example.org'), (e) =>
      isHushError(e, 'WrongCode'),
    );
    assert.deepEqual(calls, []);
    await followCode(verification, actions, 'alice@example.org');
    assert.deepEqual(calls, [`verify ${verification}`]);
  });
});
