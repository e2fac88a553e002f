import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAF_MIME_TYPE, inspectFile, isHushError } from '@hush/core';
import { tone } from '@hush/test-utils';
import { fileExtension, forAppleDecoder, forBrowser, isOpusAudio } from './playable.ts';

let dir: string;
const files = new Map<string, Uint8Array>();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hush-playable-'));
  const encodings: Record<string, string[]> = {
    'voice.ogg': ['-c:a', 'libopus'],
    'voice.webm': ['-c:a', 'libopus'],
    'voice.mp4': ['-c:a', 'libopus', '-f', 'mp4'],
    'voice.m4a': ['-c:a', 'aac'],
  };
  for (const [name, args] of Object.entries(encodings)) {
    files.set(name, await tone(join(dir, name), 0.5, args));
  }
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const SAFARI = (type: string) => (type === CAF_MIME_TYPE || type === 'audio/mp4' ? 'maybe' : '');
const CHROMIUM = (type: string) => (type === CAF_MIME_TYPE ? '' : 'probably');

describe('what the player gets', () => {
  it('recognises the Opus types inspectFile gives, and nothing else', () => {
    for (const [name, bytes] of files) {
      assert.equal(isOpusAudio(inspectFile(bytes).mimeType), name !== 'voice.m4a', name);
    }
    assert.equal(isOpusAudio('audio/webm;codecs="opus"'), true);
    for (const type of ['audio/mp4', 'audio/mpeg', 'image/png', 'audio/ogg; codecs=vorbis']) {
      assert.equal(isOpusAudio(type), false, type);
    }
  });

  it('iOS: Opus in Ogg, WebM and MP4 becomes CAF; AAC stays as it is', () => {
    for (const [name, bytes] of files) {
      const { mimeType } = inspectFile(bytes);
      const playable = forAppleDecoder(bytes, mimeType);
      if (name === 'voice.m4a') {
        assert.equal(playable.bytes, bytes);
        assert.equal(fileExtension(playable.mimeType), 'm4a');
      } else {
        assert.equal(playable.mimeType, CAF_MIME_TYPE, name);
        assert.equal(new TextDecoder().decode(playable.bytes.subarray(0, 4)), 'caff', name);
        assert.equal(fileExtension(playable.mimeType), 'caf');
      }
    }
  });

  it('a damaged Opus file is UnsupportedContent, not a silent player', () => {
    const cut = (files.get('voice.ogg') ?? new Uint8Array(0)).subarray(0, 500);
    assert.throws(
      () => forAppleDecoder(cut, 'audio/ogg; codecs=opus'),
      (e) => isHushError(e, 'UnsupportedContent'),
    );
  });

  it('web: CAF only for a browser that cannot play the container but can play CAF', () => {
    const ogg = files.get('voice.ogg') ?? new Uint8Array(0);
    assert.equal(forBrowser(ogg, 'audio/ogg; codecs=opus', SAFARI).mimeType, CAF_MIME_TYPE);
    const chromium = forBrowser(ogg, 'audio/ogg; codecs=opus', CHROMIUM);
    assert.equal(chromium.bytes, ogg);
    const m4a = files.get('voice.m4a') ?? new Uint8Array(0);
    assert.equal(forBrowser(m4a, 'audio/mp4', SAFARI).bytes, m4a);
    // A browser that plays neither: the original, and the player reports what it cannot play.
    assert.equal(forBrowser(ogg, 'audio/ogg; codecs=opus', () => '').bytes, ogg);
  });
});

describe('file names for received files', () => {
  it('names photos and documents by what they are, and anything unknown neutrally', () => {
    assert.deepEqual(
      ['image/png', 'image/jpeg', 'application/pdf', 'application/octet-stream', 'text/plain'].map(
        fileExtension,
      ),
      ['png', 'jpg', 'pdf', 'bin', 'bin'],
    );
    assert.equal(fileExtension('audio/ogg; codecs=opus'), 'ogg');
  });
});
