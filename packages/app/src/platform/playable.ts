// What the audio player is handed for a received file. Every Hush client plays Opus (Ogg, WebM,
// MP4) and AAC (M4A), but Apple's decoders — AVFoundation on iOS, under expo-audio, and Safari's —
// take Opus only inside CAF. For them core moves the same Opus packets into CAF (opusToCaf, a few
// milliseconds, nothing decoded); AAC and everything else go to the player as they are.
import { CAF_MIME_TYPE, opusToCaf } from '@hush/core';

export interface PlayableBytes {
  readonly bytes: Uint8Array;
  readonly mimeType: string;
}

/** The types inspectFile gives Opus recordings: audio/ogg, audio/webm or audio/mp4 with codecs=opus. */
export function isOpusAudio(mimeType: string): boolean {
  return /^audio\/(ogg|webm|mp4)\s*;\s*codecs="?opus"?$/i.test(mimeType.trim());
}

/**
 * For a player on Apple's AudioToolbox: Opus as CAF, anything else unchanged. An Opus file that
 * cannot be read is UnsupportedContent, which the message shows instead of a silent player.
 */
export function forAppleDecoder(bytes: Uint8Array, mimeType: string): PlayableBytes {
  if (!isOpusAudio(mimeType)) return { bytes, mimeType };
  return { bytes: opusToCaf(bytes), mimeType: CAF_MIME_TYPE };
}

/**
 * For an <audio> element: CAF only where the browser says it cannot play the Opus container but
 * can play CAF (Safari before it learnt Ogg and WebM); every other browser gets the original.
 */
export function forBrowser(
  bytes: Uint8Array,
  mimeType: string,
  canPlayType: (mimeType: string) => string,
): PlayableBytes {
  if (!isOpusAudio(mimeType) || canPlayType(mimeType) !== '' || canPlayType(CAF_MIME_TYPE) === '') {
    return { bytes, mimeType };
  }
  return forAppleDecoder(bytes, mimeType);
}

/** The file name extension native players recognise a type by. */
const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/heic': 'heic',
  'image/heif': 'heif',
  'image/avif': 'avif',
  'application/pdf': 'pdf',
};

/** The file name extension players and the share sheet go by, from what the bytes are. */
export function fileExtension(mimeType: string): string {
  if (mimeType === CAF_MIME_TYPE) return 'caf';
  const known = EXTENSIONS[mimeType.split(';')[0] ?? ''];
  if (known) return known;
  if (!mimeType.startsWith('audio/') && !mimeType.startsWith('video/')) return 'bin';
  return mimeType.includes('mp4') ? 'm4a' : mimeType.includes('ogg') ? 'ogg' : 'webm';
}
