// What a received file is, from its first bytes (magic numbers as in the WHATWG MIME Sniffing
// standard, https://mimesniff.spec.whatwg.org/#matching-an-image-type-pattern) and, for audio, from
// its container. The sender's claims are never consulted: an aesgcm:// link carries none.
import { HushError } from '../errors.ts';
import { ascii, startsWith } from './byte-reader.ts';
import { isMp4, mp4MajorBrand } from './mp4.ts';
import type { FileInfo } from './types.ts';
import { describeAudio, readContainer, withinVoiceLimits } from './voice.ts';

const SIGNATURES: readonly [string, string, FileInfo['kind']][] = [
  ['\x89PNG\r\n\x1a\n', 'image/png', 'image'],
  ['\xff\xd8\xff', 'image/jpeg', 'image'],
  ['GIF87a', 'image/gif', 'image'],
  ['GIF89a', 'image/gif', 'image'],
  ['%PDF-', 'application/pdf', 'file'],
  ['PK\x03\x04', 'application/zip', 'file'],
  ['ID3', 'audio/mpeg', 'file'],
  ['fLaC', 'audio/flac', 'file'],
];
const HEIF_BRANDS = new Map([
  ['heic', 'image/heic'],
  ['heix', 'image/heic'],
  ['mif1', 'image/heif'],
  ['msf1', 'image/heif'],
  ['avif', 'image/avif'],
  ['avis', 'image/avif'],
]);

function riffType(bytes: Uint8Array): string | undefined {
  return startsWith(bytes, 0, 'RIFF') && bytes.length >= 12 ? ascii(bytes, 8, 4) : undefined;
}

/**
 * Kind and MIME type of a file. 'voice' means playable as a voice message: a supported audio format
 * within the voice limits; longer or larger audio is a 'file' (with `audio` still describing it).
 */
export function inspectFile(bytes: Uint8Array): FileInfo {
  if (!(bytes instanceof Uint8Array))
    throw new HushError('UnsupportedContent', 'Not a byte array.');
  for (const [magic, mimeType, kind] of SIGNATURES) {
    if (startsWith(bytes, 0, magic)) return { kind, mimeType };
  }
  const riff = riffType(bytes);
  if (riff === 'WEBP') return { kind: 'image', mimeType: 'image/webp' };
  if (riff === 'WAVE') return { kind: 'file', mimeType: 'audio/wav' };
  if (isMp4(bytes)) {
    const image = HEIF_BRANDS.get(mp4MajorBrand(bytes));
    if (image) return { kind: 'image', mimeType: image };
  }

  let found;
  try {
    found = readContainer(bytes);
  } catch {
    found = undefined;
  }
  if (found) {
    const { container, audio } = found;
    if (audio.hasVideo) return { kind: 'file', mimeType: `video/${container}` };
    try {
      const info = describeAudio(container, audio);
      const voice = withinVoiceLimits(bytes.length, info.durationMs);
      return { kind: voice ? 'voice' : 'file', mimeType: info.mimeType, audio: info };
    } catch {
      return { kind: 'file', mimeType: `audio/${container}` };
    }
  }
  // MPEG audio frame sync without an ID3 tag.
  if (bytes.length >= 2 && bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0) {
    return { kind: 'file', mimeType: 'audio/mpeg' };
  }
  return { kind: 'file', mimeType: 'application/octet-stream' };
}
