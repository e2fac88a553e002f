// Voice messages: which recordings Hush sends and plays, and how long they are, read from the file
// itself. Policy (ARCHITECTURE.md): AAC-LC in M4A from iOS and Android (every XMPP client plays it),
// Opus in WebM or MP4 from browsers' MediaRecorder, Opus in Ogg from other clients; at most 5
// minutes and 10 MB.
import { FileTooLargeError, HushError, VoiceTooLongError } from '../errors.ts';
import { isMp4, parseMp4 } from './mp4.ts';
import { isOgg, parseOgg } from './ogg.ts';
import type { AudioContainer, AudioInfo, ContainerAudio } from './types.ts';
import { isWebm, parseWebm } from './webm.ts';

export const VOICE_MAX_DURATION_MS = 5 * 60 * 1000;
/** 10 MiB, the server's default upload limit (server/prosody/render.sh). */
export const VOICE_MAX_BYTES = 10 * 1024 * 1024;
// Encoders round the last frame up and count their start-up delay, so a recording stopped at
// exactly 5:00 reads a few tens of milliseconds longer.
const DURATION_SLACK_MS = 500;

const PARSERS: readonly [
  AudioContainer,
  (bytes: Uint8Array) => boolean,
  (bytes: Uint8Array) => ContainerAudio,
][] = [
  ['mp4', isMp4, parseMp4],
  ['ogg', isOgg, parseOgg],
  ['webm', isWebm, parseWebm],
];

function mimeTypeOf(container: AudioContainer, codec: AudioInfo['codec']): string {
  // Plain audio/mp4 for AAC: the one type every platform's player recognises without parameters.
  if (container === 'mp4') return codec === 'aac' ? 'audio/mp4' : 'audio/mp4; codecs=opus';
  return `audio/${container}; codecs=opus`;
}

/** The container found by sniffing, its parse, or a typed error; never anything else. */
export function readContainer(
  bytes: Uint8Array,
): { container: AudioContainer; audio: ContainerAudio } | undefined {
  if (!(bytes instanceof Uint8Array))
    throw new HushError('UnsupportedContent', 'Not a byte array.');
  for (const [container, detect, parse] of PARSERS) {
    try {
      if (!detect(bytes)) continue;
      return { container, audio: parse(bytes) };
    } catch (error) {
      if (error instanceof HushError) throw error;
      // Defence in depth: a parser bug must still surface as "cannot read this file".
      throw new HushError('UnsupportedContent', `Unreadable ${container} file.`, { cause: error });
    }
  }
  return undefined;
}

/** Container, codec, MIME type and duration of a voice recording, or UnsupportedContent. */
export function inspectAudio(bytes: Uint8Array): AudioInfo {
  const found = readContainer(bytes);
  if (!found) throw new HushError('UnsupportedContent', 'Not an MP4, Ogg or WebM audio file.');
  return describeAudio(found.container, found.audio);
}

/** What a parsed container holds, as AudioInfo, if Hush plays it as voice. */
export function describeAudio(container: AudioContainer, audio: ContainerAudio): AudioInfo {
  if (audio.hasVideo) throw new HushError('UnsupportedContent', 'The file contains video.');
  if (!audio.codec || (container === 'ogg' && audio.codec !== 'opus')) {
    throw new HushError(
      'UnsupportedContent',
      `Unsupported audio codec (${audio.otherCodec ?? 'unknown'}).`,
    );
  }
  return {
    container,
    codec: audio.codec,
    mimeType: mimeTypeOf(container, audio.codec),
    durationMs: audio.durationMs,
  };
}

/** Whether a recording of this size and length may be sent as a voice message. */
export function withinVoiceLimits(byteLength: number, durationMs: number): boolean {
  return byteLength <= VOICE_MAX_BYTES && durationMs <= VOICE_MAX_DURATION_MS + DURATION_SLACK_MS;
}

/**
 * Inspects a recording before it is sent: FileTooLarge over 10 MiB (checked first, without
 * parsing), VoiceTooLong over 5 minutes, UnsupportedContent for anything not a voice format.
 */
export function checkVoiceLimits(bytes: Uint8Array): AudioInfo {
  if (bytes.length > VOICE_MAX_BYTES) {
    throw new FileTooLargeError(`A voice message may be at most ${VOICE_MAX_BYTES} bytes.`, {
      limit: VOICE_MAX_BYTES,
      size: bytes.length,
    });
  }
  const info = inspectAudio(bytes);
  if (!withinVoiceLimits(bytes.length, info.durationMs)) {
    throw new VoiceTooLongError('A voice message may be at most 5 minutes long.', {
      limitMs: VOICE_MAX_DURATION_MS,
      durationMs: info.durationMs,
    });
  }
  return info;
}
