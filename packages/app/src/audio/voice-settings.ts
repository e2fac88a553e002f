// What a voice message is recorded with: speech, one voice, sent as a file. Only type imports, so
// the recorder, its tests and bench/recording.ts (in Node) read the same values.
//
// The web (getUserMedia + MediaRecorder, Opus in WebM):
// - One channel: a phone or laptop microphone gives one voice; stereo doubles the encoder's work
//   and the file for nothing.
// - No echo cancellation: it removes what the device itself plays from what the microphone
//   hears, which matters in a call; while recording a voice message nothing plays. It is the
//   costliest stage of the browser's audio processing (bench/recording.ts: ~1 point of a core).
// - No noise suppression either: the next costliest (~0.7-0.9 points), and a message is spoken
//   close to the microphone, the voice well above the background. Automatic gain control stays
//   on: it is cheap, evens out a quiet or a loud voice, and keeps the track mono (with no
//   processing at all Chromium hands over the device's own channels, stereo on many).
// - 64 kb/s Opus: at this rate libopus codes speech in its CELT mode; below it (32 and 48 kb/s
//   measured) it takes its SILK/hybrid speech mode, which cost the encoder a point of a core more
//   and put recording above the 5 % goal (bench/recording.ts, 2026-12-07: 4.5 % at 64 kb/s, 5.5 %
//   at 32 kb/s, 5.4 % for expo-audio's recorder). A 5-minute message is ~2.4 MB, half of what
//   the 128 kb/s expo-audio's web recorder asks for made; speech at 64 kb/s is transparent.
// iOS and Android (expo-audio): AAC-LC in M4A, which every XMPP client plays, mono, 44.1 kHz,
// 64 kb/s (AAC-LC needs about twice Opus's rate for the same speech; below ~48 kb/s mono it starts
// to sound dull). The platform encoders are hardware or system codecs; their cost is not the issue
// it was on the web. Metering on: the input level, read while recording (voice-recording.ts), is
// the sender's waveform, since phones have no decoder to work it out from the file as the web
// does (iOS: AVAudioRecorder's average power; Android: MediaRecorder's peak since the last read).

import type { AudioQuality, IOSOutputFormat, RecordingOptions } from 'expo-audio';
import { VOICE_WEB_BITS_PER_SECOND, VOICE_WEB_MIME_TYPE } from './voice-web-settings.ts';

export {
  VOICE_CAPTURE_CONSTRAINTS,
  VOICE_WEB_BITS_PER_SECOND,
  VOICE_WEB_MIME_TYPE,
  voiceRecorderOptions,
} from './voice-web-settings.ts';

/**
 * expo-audio RecordingOptions for iOS and Android (and the web fields, for expo's own web
 * recorder). The iOS enums are written as their values (IOSOutputFormat.MPEG4AAC is 'aac ',
 * AudioQuality.HIGH is 0x60): this file imports only types.
 */
export const VOICE_RECORDING_OPTIONS: RecordingOptions = {
  extension: '.m4a',
  sampleRate: 44_100,
  numberOfChannels: 1,
  bitRate: 64_000,
  isMeteringEnabled: true,
  android: { outputFormat: 'mpeg4', audioEncoder: 'aac' },
  ios: {
    outputFormat: 'aac ' as IOSOutputFormat,
    audioQuality: 0x60 as AudioQuality,
    linearPCMBitDepth: 16,
    linearPCMIsBigEndian: false,
    linearPCMIsFloat: false,
  },
  web: { mimeType: VOICE_WEB_MIME_TYPE, bitsPerSecond: VOICE_WEB_BITS_PER_SECOND },
};
