// Files' labels: what a chat list and a bubble call a file, from its link and what is known of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_FILE_NAME,
  describeBody,
  downloadName,
  fileLabel,
  formatDuration,
  sanitizeFileName,
} from './message-kind.ts';
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

test('a file described by its sender is named and typed by the description, not the link', () => {
  const described = (mediaType: string, name = 'file', durationMs?: number) =>
    describeBody(link, undefined, {
      name,
      mediaType,
      size: 3,
      sha256: new Uint8Array(32),
      ...(durationMs !== undefined ? { durationMs } : {}),
    });
  const notes = described('text/plain', 'notes.txt');
  assert.equal(notes.preview, 'notes.txt');
  assert.equal(notes.kind === 'file' && notes.name, 'notes.txt');
  assert.equal(notes.kind === 'file' && notes.url, link);
  const voice = described('audio/webm; codecs=opus', 'file', 12_400);
  assert.equal(voice.kind, 'voice');
  assert.equal(voice.preview, 'Voice message 0:12');
  assert.equal(voice.kind === 'voice' && voice.name, '', 'a placeholder name is no name');
  assert.equal(described('image/jpeg', 'IMG_1.jpg').preview, 'Photo');
  assert.equal(described('application/octet-stream').preview, 'File');
  assert.equal(described('application/pdf', 'invoice\u202efdp.exe').preview, 'invoicefdp.exe');
  assert.equal(
    describeBody('hello', undefined, {
      name: 'x',
      mediaType: 'text/plain',
      size: 1,
      sha256: new Uint8Array(32),
    }).kind,
    'text',
  );
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

test('a saved file keeps its name, cleaned: no folders, no control or direction characters, not too long', () => {
  assert.equal(
    downloadName({ name: 'Meeting notes.txt', mimeType: 'application/octet-stream' }),
    'Meeting notes.txt',
  );
  assert.equal(sanitizeFileName('../../etc/passwd'), '_.._etc_passwd');
  assert.equal(sanitizeFileName('C:\\Users\\me\\a.doc'), 'C__Users_me_a.doc');
  assert.equal(sanitizeFileName('bell\u0007\u0000 and\nnewline.txt'), 'bell and newline.txt');
  // Shown as "photo\u202egpj.exe" a file would read "photoexe.jpg".
  assert.equal(sanitizeFileName('photo\u202egpj.exe'), 'photogpj.exe');
  assert.equal(sanitizeFileName('  .hidden. '), 'hidden');
  assert.equal(sanitizeFileName('..'), '');
  const long = `${'ж'.repeat(300)}.pdf`;
  const cut = sanitizeFileName(long);
  assert.equal([...cut].length, MAX_FILE_NAME);
  assert.ok(cut.endsWith('ж.pdf'));
  assert.equal([...sanitizeFileName('x'.repeat(500))].length, MAX_FILE_NAME);
});

test('a file without a name is saved by its kind, with an extension from its type', () => {
  assert.equal(downloadName({ mimeType: 'image/jpeg' }), 'Photo.jpg');
  assert.equal(
    downloadName({ kind: 'voice', mimeType: 'audio/mp4', durationMs: 12_000 }),
    'Voice message.m4a',
  );
  assert.equal(downloadName({ name: 'encrypted', mimeType: 'application/pdf' }), 'File.pdf');
  assert.equal(downloadName({ mimeType: 'application/octet-stream' }), 'File');
  assert.equal(downloadName({ name: 'notes', mimeType: 'text/plain' }), 'notes.txt');
  assert.equal(downloadName({ name: '/', mimeType: 'image/png' }), '_.png');
  assert.equal(downloadName({ name: '...', mimeType: 'image/png' }), 'Photo.png');
  assert.equal(downloadName({ mimeType: 'image/png' }, ru.file), 'Фото.png');
});
