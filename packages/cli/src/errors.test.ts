// Exit codes scripts rely on: one per error code, as the README lists them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FileTooLargeError,
  HushError,
  OmemoDeviceError,
  QuotaExceededError,
  VoiceTooLongError,
  type HushErrorCode,
} from '@hush/core';
import { CliError, describeError, exitCodeOf } from './errors.ts';

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

test('the error line states what the error knows: limits, sizes, the contact and device', () => {
  assert.equal(
    describeError(
      new FileTooLargeError('Too large.', { limit: 10 * 1024 * 1024, size: 12_000_000 }),
    ),
    'hush: Too large. (FileTooLarge; limit 10 MB, size 11.4 MB)',
  );
  assert.equal(
    describeError(new FileTooLargeError('Too large.', {})),
    'hush: Too large. (FileTooLarge)',
  );
  assert.equal(
    describeError(new VoiceTooLongError('Too long.', { limitMs: 300_000, durationMs: 361_400 })),
    'hush: Too long. (VoiceTooLong; limit 5:00, length 6:01)',
  );
  assert.equal(
    describeError(new QuotaExceededError('Quota.', { retryAt: new Date('2026-12-09T00:00:00Z') })),
    'hush: Quota. (QuotaExceeded; retry after 2026-12-09T00:00:00.000Z)',
  );
  assert.equal(
    describeError(
      new OmemoDeviceError('UntrustedIdentity', 'New key.', {
        jid: 'bob@example.org',
        deviceId: 7,
      }),
    ),
    'hush: New key. (UntrustedIdentity; contact bob@example.org, device 7)',
  );
  assert.equal(describeError(new HushError('Timeout', 'No answer.')), 'hush: No answer. (Timeout)');
  assert.equal(describeError(new CliError('Usage', 'Say whom.')), 'hush: Say whom. (Usage)');
});
