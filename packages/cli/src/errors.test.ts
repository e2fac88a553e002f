// Exit codes scripts rely on: one per error code, as the README lists them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HushError, type HushErrorCode } from '@hush/core';
import { CliError, exitCodeOf } from './errors.ts';

test('each error gets the exit code the README promises', () => {
  const expected: [HushErrorCode, number][] = [
    ['WrongPassword', 3],
    ['InviteInvalid', 4],
    ['FileTooLarge', 4],
    ['ServerUnreachable', 5],
    ['CertificateUntrusted', 5],
    ['EncryptionRequired', 5],
    ['NoAccount', 6],
    ['SendFailed', 7],
    ['NoTrustedDevice', 7],
    ['DownloadFailed', 9],
    ['LinkExpired', 9],
    ['IntegrityError', 9],
    ['Undecryptable', 9],
    ['Cancelled', 130],
    ['ProtocolError', 1],
  ];
  for (const [code, exit] of expected)
    assert.equal(exitCodeOf(new HushError(code, 'x')), exit, code);
  assert.equal(exitCodeOf(new CliError('Usage', 'x')), 2);
  assert.equal(exitCodeOf(new CliError('ProfileBusy', 'x')), 8);
  assert.equal(exitCodeOf(new Error('surprise')), 1);
  assert.equal(exitCodeOf('not even an error'), 1);
});
