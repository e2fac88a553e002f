// How the CLI prints messages: a file as its label, never its link and key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FileDescription, StoredMessage } from '@hush/core';
import { fileLabel, formatMessage, jsonMessage } from './format.ts';

const key = 'ab'.repeat(44);
const sha256 = new Uint8Array(32).fill(0xab);
const message = (body: string, fields: Partial<StoredMessage> = {}): StoredMessage => ({
  id: 'm1',
  account: 'alice@example.org',
  peer: 'bob@example.org',
  direction: 'in',
  body,
  timestamp: Date.UTC(2026, 11, 7, 15, 4, 5),
  state: 'received',
  encrypted: true,
  ...fields,
});

test('history prints files as labels, not as aesgcm:// links with their keys', () => {
  const line = formatMessage(message(`aesgcm://upload.example.org/slot/1/encrypted#${key}`));
  assert.equal(line, '2026-12-07T15:04:05.000Z bob@example.org: [File]');
  assert.doesNotMatch(line, /aesgcm|#/);
  assert.equal(
    formatMessage(
      message(`aesgcm://upload.example.org/slot/2/voice.m4a#${key}`, { direction: 'out' }),
    ),
    '2026-12-07T15:04:05.000Z me -> bob@example.org: [Voice message]',
  );
});

test('labels: voice, photo, video, a named file, a file; text and other links stay text', () => {
  assert.equal(fileLabel(`aesgcm://h/x/clip.ogg#${key}`), 'Voice message');
  assert.equal(fileLabel('https://h/x/IMG_0001.JPG'), 'Photo');
  assert.equal(fileLabel('https://h/x/film.mov'), 'Video');
  assert.equal(fileLabel(`aesgcm://h/x/notes%20for%20bob.txt#${key}`), 'notes for bob.txt');
  assert.equal(fileLabel(`aesgcm://h/x/hush-file#${key}`), 'File');
  assert.equal(fileLabel(`aesgcm://h/x/bad%1B%5B2Kname.pdf#${key}`), 'bad[2Kname.pdf');
  assert.equal(fileLabel('Hello'), undefined);
  assert.equal(fileLabel('https://example.org/page'), undefined);
  assert.equal(fileLabel('see https://example.org/a.txt'), undefined);
  assert.equal(
    formatMessage(message('https://example.org/page')).endsWith(': https://example.org/page'),
    true,
  );
});

test("a described file prints as its sender's description says: name, type and length, never the link", () => {
  const link = `aesgcm://upload.example.org/slot/1/encrypted#${key}`;
  const described = (file: Partial<FileDescription>) =>
    message(link, {
      file: { name: 'file', mediaType: 'application/octet-stream', size: 9, sha256, ...file },
    });
  const line = formatMessage(described({ name: 'notes.txt', mediaType: 'text/plain' }));
  assert.equal(line, '2026-12-07T15:04:05.000Z bob@example.org: [notes.txt]');
  assert.doesNotMatch(line, /aesgcm|#/);
  assert.match(
    formatMessage(described({ mediaType: 'audio/webm; codecs=opus', durationMs: 12_400 })),
    /: \[Voice message 0:12\]$/,
  );
  assert.match(formatMessage(described({ mediaType: 'audio/mp4' })), /: \[Voice message\]$/);
  assert.match(formatMessage(described({ name: 'IMG.png', mediaType: 'image/png' })), /\[Photo\]$/);
  assert.match(formatMessage(described({ mediaType: 'video/mp4' })), /\[Video\]$/);
  assert.match(formatMessage(described({})), /\[File\]$/);
  assert.match(formatMessage(described({ name: 'a\u001b[2Kb.txt' })), /\[a\[2Kb\.txt\]$/);
  assert.match(formatMessage(described({ name: 'photo\u202egpj.exe' })), /\[photogpj\.exe\]$/);
  // Text stays text, whatever a description says.
  assert.equal(
    fileLabel('Hello', { name: 'x.txt', mediaType: 'text/plain', size: 1, sha256 }),
    undefined,
  );
});

test('--json keeps the link for programs, with the label beside it', () => {
  const body = `aesgcm://upload.example.org/slot/1/encrypted#${key}`;
  const parsed = JSON.parse(jsonMessage(message(body))) as { body: string; label?: string };
  assert.equal(parsed.body, body);
  assert.equal(parsed.label, 'File');
  assert.equal((JSON.parse(jsonMessage(message('Hi'))) as { label?: string }).label, undefined);
  const file = { name: 'voice.m4a', mediaType: 'audio/mp4', size: 9, sha256, durationMs: 3_200 };
  const voice = JSON.parse(jsonMessage(message(body, { file }))) as {
    label?: string;
    file?: Record<string, unknown>;
  };
  assert.equal(voice.label, 'Voice message 0:03');
  assert.deepEqual(voice.file, { ...file, sha256: 'ab'.repeat(32) });
});

test('a readable message from an unchecked device, or sent in clear, says so', () => {
  const untrusted = message('hello', {
    failure: { code: 'UntrustedSender', message: 'Sent from a device you have not checked yet.' },
  });
  assert.match(formatMessage(untrusted), /: hello \[UntrustedSender: Sent from a device/);
  const own = message('from my laptop', {
    direction: 'out',
    state: 'sent',
    failure: { code: 'UntrustedSender', message: 'Sent from a device you have not checked yet.' },
  });
  assert.match(formatMessage(own), /me -> bob@example\.org: from my laptop \[UntrustedSender/);
  const plain = message('hi', {
    encrypted: false,
    failure: { code: 'Unencrypted', message: 'Not encrypted.' },
  });
  assert.match(formatMessage(plain), /\[Unencrypted: Not encrypted\.\]$/);
  assert.equal(formatMessage(message('fine')).endsWith(': fine'), true);
});
