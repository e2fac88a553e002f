// The web's voice recording settings (why: voice-settings.ts), with no expo-audio import, so that
// Node programs (bench/recording.ts) read them without React Native's global types.

/** getUserMedia audio constraints for a voice message. */
export const VOICE_CAPTURE_CONSTRAINTS = {
  channelCount: 1,
  echoCancellation: false,
  noiseSuppression: false,
  autoGainControl: true,
} as const;

/** MediaRecorder's container and codec, when the browser has it (all current ones do). */
export const VOICE_WEB_MIME_TYPE = 'audio/webm;codecs=opus';

/** MediaRecorder's audio bit rate. */
export const VOICE_WEB_BITS_PER_SECOND = 64_000;

/** getUserMedia constraints and MediaRecorder options for a voice message (plain objects). */
export function voiceRecorderOptions(isTypeSupported: (mimeType: string) => boolean): {
  constraints: { audio: typeof VOICE_CAPTURE_CONSTRAINTS; video: false };
  recorder: { mimeType?: string; audioBitsPerSecond: number };
} {
  return {
    constraints: { audio: VOICE_CAPTURE_CONSTRAINTS, video: false },
    recorder: {
      ...(isTypeSupported(VOICE_WEB_MIME_TYPE) ? { mimeType: VOICE_WEB_MIME_TYPE } : {}),
      audioBitsPerSecond: VOICE_WEB_BITS_PER_SECOND,
    },
  };
}
