// Password change and account deletion (XEP-0077) against a real Prosody.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite } from '@hush/test-utils';
import { testSessions } from '@hush/test-utils/sessions';
import type { XmppSession } from '../xmpp/session.ts';
import { isHushError } from '../errors.ts';
import { changePassword, deleteAccount } from './manage.ts';

const sessions = testSessions(() => suite.server);
const suite = serverSuite({
  accounts: ['alice', 'bob'],
  password: (name) => `${name}-password`,
  closeFirst: () => sessions.closeAll(),
});

const login = (name: string, password: string) => sessions.open(`${name}@localhost`, password);

test('after a password change the old password fails with WrongPassword and the new one works', async () => {
  const session = await login('alice', 'alice-password');
  await changePassword(session, 'a new and longer password');
  await assert.rejects(login('alice', 'alice-password'), (error) =>
    isHushError(error, 'WrongPassword'),
  );
  const again = await login('alice', 'a new and longer password');
  assert.match(again.jid, /^alice@localhost\//);
});

test('an empty password is refused before anything is sent', async () => {
  const session = await login('alice', 'a new and longer password');
  await assert.rejects(changePassword(session, ''), (error) =>
    isHushError(error, 'InvalidPassword'),
  );
});

test('refusals from the server become typed errors', async () => {
  const refusing = (condition: string) =>
    ({
      jid: 'carol@localhost/phone',
      request: () => Promise.reject(Object.assign(new Error(condition), { condition })),
    }) as unknown as XmppSession;
  await assert.rejects(changePassword(refusing('not-allowed'), 'x'), (error) =>
    isHushError(error, 'NotAllowed'),
  );
  await assert.rejects(changePassword(refusing('not-authorized'), 'x'), (error) =>
    isHushError(error, 'NotAllowed'),
  );
  await assert.rejects(
    changePassword(refusing('bad-request'), 'x'),
    (error) => isHushError(error, 'ProtocolError') && /incomplete/.test(error.message),
  );
});

test('a deleted account is gone: logging in fails with WrongPassword', async () => {
  const session = await login('bob', 'bob-password');
  await deleteAccount(session);
  assert.equal(session.client.status, 'offline');
  await assert.rejects(login('bob', 'bob-password'), (error) =>
    isHushError(error, 'WrongPassword'),
  );
});
