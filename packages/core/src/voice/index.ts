// Voice messages and received files: container, codec and duration read from the bytes themselves.
export {
  inspectAudio,
  checkVoiceLimits,
  withinVoiceLimits,
  VOICE_MAX_DURATION_MS,
  VOICE_MAX_BYTES,
} from './voice.ts';
export { inspectFile } from './sniff.ts';
export { opusToCaf, CAF_MIME_TYPE } from './caf.ts';
export type { AudioContainer, AudioCodec, AudioInfo, FileInfo, FileKind } from './types.ts';
