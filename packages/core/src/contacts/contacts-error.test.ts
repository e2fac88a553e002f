// Which code a refused or failed contacts request gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HushError } from '../errors.ts';
import { contactsError } from './contacts-error.ts';

const stanzaError = (condition: string, text = '') =>
  Object.assign(new Error(condition), { name: 'StanzaError', condition, text });

test('a refusal, a missing service and an unreachable server each have their code', () => {
  const code = (error: unknown) => contactsError(error, 'block this address').code;
  assert.equal(code(stanzaError('forbidden')), 'NotAllowed');
  assert.equal(code(stanzaError('policy-violation')), 'NotAllowed');
  assert.equal(code(stanzaError('service-unavailable')), 'NotAllowed');
  assert.equal(code(stanzaError('feature-not-implemented')), 'NotAllowed');
  assert.equal(code(stanzaError('jid-malformed')), 'InvalidUsername');
  assert.equal(code(stanzaError('remote-server-not-found')), 'ServerUnreachable');
  assert.equal(code(stanzaError('remote-server-timeout')), 'Timeout');
  assert.equal(code(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), 'Timeout');
  assert.equal(
    code(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })),
    'ServerUnreachable',
  );
  // What no other code describes stays a protocol error, with the action it was for.
  const odd = contactsError(stanzaError('undefined-condition'), 'block this address');
  assert.equal(odd.code, 'ProtocolError');
  assert.equal(odd.message, 'Could not block this address: undefined-condition');
  assert.equal(
    contactsError(stanzaError('forbidden', 'No.'), 'block this address').message,
    'The server does not let you block this address (No.).',
  );
  const own = new HushError('InvalidUsername', 'x');
  assert.equal(contactsError(own, 'add a contact'), own);
});
