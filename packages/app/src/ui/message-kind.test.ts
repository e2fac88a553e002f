// Files' labels: what a chat list and a bubble call a file, from its link and what is known of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeBody, fileLabel, formatDuration } from './message-kind.ts';
import { ru } from '../i18n/ru.ts';

const link = 'aesgcm://upload.example.org/slot/0a1b/encrypted#' + 'ab'.repeat(44);

test('an encrypted upload is a file with no name, never "encrypted"', () => {
  const body = describeBody(link);
  assert.equal(body.kind, 'file');
  assert.equal('name' in body ? body.name : undefined, '');
  assert.equal(body.preview, 'File');
  assert.doesNotMatch(body.preview, /encrypted/i);
});

test('labels: a voice message with its length, a photo, a video, a named file, a file', () => {
  assert.equal(fileLabel({ mimeType: 'audio/mp4', durationMs: 12_400 }), 'Voice message 0:12');
  assert.equal(fileLabel({ mimeType: 'audio/webm' }), 'Voice message');
  assert.equal(fileLabel({ kind: 'voice' }), 'Voice message');
  assert.equal(fileLabel({ mimeType: 'image/jpeg', name: 'IMG_0001.jpg' }), 'Photo');
  assert.equal(fileLabel({ mimeType: 'video/mp4' }), 'Video');
  assert.equal(fileLabel({ mimeType: 'text/plain', name: 'notes.txt' }), 'notes.txt');
  assert.equal(fileLabel({ mimeType: 'application/octet-stream' }), 'File');
  assert.equal(fileLabel({ name: 'encrypted' }), 'File');
  assert.equal(fileLabel({ name: 'hush-file' }), 'File');
  assert.equal(
    fileLabel({ mimeType: 'audio/ogg', durationMs: 75_000 }, ru.file),
    'Голосовое сообщение 1:15',
  );
  assert.equal(fileLabel({ mimeType: 'image/png' }, ru.file), 'Фото');
});

test('plain links keep their names; a voice message by its extension', () => {
  const voice = describeBody('https://upload.example.org/x/voice.m4a');
  assert.equal(voice.kind, 'voice');
  assert.equal(voice.preview, 'Voice message');
  const photo = describeBody('https://upload.example.org/x/cat%20photo.jpg');
  assert.equal(photo.preview, 'Photo');
  const doc = describeBody('https://upload.example.org/x/notes.txt');
  assert.equal(doc.preview, 'notes.txt');
  assert.equal(describeBody('see https://example.org').kind, 'text');
  assert.equal(describeBody('https://example.org/page').kind, 'text');
});

test('durations are minutes and seconds', () => {
  assert.equal(formatDuration(0), '0:00');
  assert.equal(formatDuration(12.9), '0:12');
  assert.equal(formatDuration(3_601), '60:01');
  assert.equal(formatDuration(Number.NaN), '0:00');
});
