// The XEP-0447/0448 file description: what is built is read back the same; malformed descriptions,
// ones that name another file than the body's link, and downloaded bytes that do not match the hash
// are typed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import parse from '@xmpp/xml/lib/parse.js';
import { HushError } from '../errors.ts';
import {
  FileSharingError,
  NS_SFS,
  buildFileSharing,
  fileSharingElements,
  linkOf,
  parseFileSharing,
  readFileSharing,
  safeFileName,
  sha256Of,
  verifySharedFile,
  type SharedFile,
} from './file-sharing.ts';

const content = new TextEncoder().encode('the notes themselves');
const file: SharedFile = {
  name: 'notes.txt',
  mediaType: 'text/plain',
  size: content.length,
  sha256: sha256Of(content),
  url: 'https://upload.localhost:5281/slot/abc/encrypted',
  key: new Uint8Array(32).fill(7),
  iv: new Uint8Array(12).fill(9),
};

test('a described file reads back as sent, and its hash is the SHA-256 of the plaintext', () => {
  assert.deepEqual(
    sha256Of(content),
    new Uint8Array(createHash('sha256').update(content).digest()),
  );
  const element = buildFileSharing(file);
  assert.ok(element.is('file-sharing', NS_SFS));
  assert.deepEqual(parseFileSharing(parse(element.toString())), file);
  const voice = { ...file, name: 'voice.m4a', mediaType: 'audio/mp4', durationMs: 3200 };
  const read = parseFileSharing(parse(buildFileSharing(voice).toString()));
  assert.equal(read.durationMs, 3200);
  // A browser's recording names its codec, as its recorder reports the type.
  const webm = { ...voice, mediaType: 'audio/webm; codecs=opus' };
  assert.deepEqual(parseFileSharing(parse(buildFileSharing(webm).toString())), webm);
  const quoted = { ...voice, mediaType: 'audio/mp4; codecs="mp4a.40.2"' };
  assert.deepEqual(parseFileSharing(parse(buildFileSharing(quoted).toString())), quoted);
  assert.deepEqual(readFileSharing([buildFileSharing(file)], linkOf(file)), {
    file,
    body: linkOf(file),
  });
  const [sharing, fallback] = fileSharingElements(file);
  assert.deepEqual(readFileSharing(fileSharingElements(file), linkOf(file)), {
    file,
    body: linkOf(file),
  });
  assert.equal(sharing?.toString(), buildFileSharing(file).toString());
  assert.ok(fallback?.is('fallback', 'urn:xmpp:fallback:0') && fallback.attrs.for === NS_SFS);
  assert.ok(fallback?.getChild('body'), 'the whole body is the fallback');
  assert.deepEqual(readFileSharing([], linkOf(file)), {});
  assert.deepEqual(readFileSharing(undefined, 'hello'), {});
});

test('a name is kept without directories or control characters', () => {
  assert.equal(safeFileName('../../etc/passwd'), 'passwd');
  assert.equal(safeFileName('C:\\Users\\me\\report.pdf'), 'report.pdf');
  assert.equal(safeFileName('a\u0000b\nc.txt'), 'abc.txt');
  const element = buildFileSharing({ ...file, name: '../secret/../notes.txt' });
  assert.equal(parseFileSharing(element).name, 'notes.txt');
});

/** `file`'s element with `from` replaced by `to` in its XML. */
function altered(from: string | RegExp, to: string): Element {
  const text = buildFileSharing(file).toString();
  const changed = text.replace(from, to);
  assert.notEqual(changed, text, `${String(from)} is in the element`);
  return parse(changed);
}

test('malformed descriptions are refused with a typed error, whatever is wrong', () => {
  const fileXml = /<file xmlns="urn:xmpp:file:metadata:0">.*<\/file>/;
  const fileText = fileXml.exec(buildFileSharing(file).toString())?.[0] ?? '';
  const cases: [string, Element][] = [
    ['no single <file/>', altered(fileXml, '')],
    ['no single <file/>', altered(fileXml, fileText + fileText)],
    ['no usable file name', altered(/<name>.*<\/name>/, '')],
    ['no usable file name', altered(/<name>.*<\/name>/, '<name>/</name>')],
    ['no usable file name', altered(/<name>.*<\/name>/, `<name>${'x'.repeat(300)}</name>`)],
    ['no valid media type', altered('<media-type>text/plain', '<media-type>text')],
    ['no valid media type', altered('<media-type>text/plain', '<media-type>text/plain;')],
    ['no valid media type', altered('<media-type>text/plain', '<media-type>text/plain; x')],
    ['no valid size', altered(/<size>\d+/, '<size>-1')],
    ['no valid length', altered('</size>', '</size><length>long</length>')],
    ['SHA-256 hash', altered(/algo="sha-256">[^<]+/, 'algo="sha-256">AAAA')],
    ['SHA-256 hash', altered('algo="sha-256"', 'algo="md5"')],
    ['AES-256-GCM', altered('aes-256-gcm-nopadding', 'aes-256-cbc-pkcs7')],
    ['AES-256-GCM', altered(/<sources>.*<\/sources>/, '')],
    ['key is not 32 bytes', altered(/<key>[^<]+/, '<key>!!')],
    ['IV is not 12 bytes', altered(/<iv>[^<]+/, '<iv>AAAA')],
    ['no https:// source', altered('target="https://', 'target="http://')],
  ];
  for (const [reason, element] of cases) {
    assert.throws(
      () => parseFileSharing(element),
      (error: unknown) =>
        error instanceof FileSharingError &&
        error.code === 'ProtocolError' &&
        error.reason === 'Malformed' &&
        error.message.includes(reason),
      reason,
    );
    const read = readFileSharing([element], linkOf(file));
    assert.ok('error' in read && read.error.reason === 'Malformed', reason);
  }
  const twice = readFileSharing([buildFileSharing(file), buildFileSharing(file)], linkOf(file));
  assert.ok('error' in twice && /more than one/.test(twice.error.message));
});

test('a description of another file than the body links to is refused', () => {
  const otherKey = linkOf({ ...file, key: new Uint8Array(32).fill(8) });
  const otherUrl = linkOf({ ...file, url: 'https://upload.localhost:5281/slot/other/encrypted' });
  for (const body of [otherKey, otherUrl, 'a caption, not the file']) {
    const read = readFileSharing([buildFileSharing(file)], body);
    assert.ok('error' in read && read.error.reason === 'Mismatch', String(body));
  }
});

test('a body that only stands in for the file (none, its address, a marked fallback) becomes its link', () => {
  for (const body of [undefined, '', ` ${file.url} `]) {
    assert.deepEqual(readFileSharing([buildFileSharing(file)], body), { file, body: linkOf(file) });
  }
  const fallback = fileSharingElements(file);
  assert.deepEqual(readFileSharing(fallback, 'Download the file at https://example.org/'), {
    file,
    body: linkOf(file),
  });
  // A fallback for only part of the body does not stand for all of it.
  const partial = parse(
    `<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:sfs:0'><body start='0' end='4'/></fallback>`,
  );
  const read = readFileSharing([buildFileSharing(file), partial], 'file and a caption');
  assert.ok('error' in read && read.error.reason === 'Mismatch');
});

test('downloaded bytes are checked against the size and hash; a longer file is cut to the size', () => {
  assert.deepEqual(verifySharedFile(content, file), content);
  const longer = new Uint8Array([...content, 1, 2, 3]);
  assert.deepEqual(verifySharedFile(longer, file), content);
  const changed = content.slice();
  changed[0] = (changed[0] ?? 0) ^ 1;
  for (const bytes of [changed, content.subarray(1)]) {
    assert.throws(
      () => verifySharedFile(bytes, file),
      (error: unknown) => error instanceof HushError && error.code === 'IntegrityError',
    );
  }
});
