// How a recorded voice message leaves the device. The UI only knows this interface; the
// implementation is core's FileSender: checked against the voice limits, encrypted (XEP-0454), kept
// in storage until done, uploaded (XEP-0363) and sent as an OMEMO-encrypted aesgcm:// link.
import { FileSender, HushError, VOICE_MAX_DURATION_MS, checkVoiceLimits } from '@hush/core';

/** Longest voice message (doc/design.md: 5 minutes). */
export const VOICE_LIMIT_MS = VOICE_MAX_DURATION_MS;

export interface VoiceSender {
  /** Sends `bytes` (audio/mp4 from iOS and Android, audio/webm from browsers) to `peer`. */
  sendVoice(peer: string, bytes: Uint8Array, mime: string): Promise<void>;
  /** Sends any file (a photo, a document) the same way; the server's limit applies. */
  sendFile(peer: string, bytes: Uint8Array): Promise<void>;
}

export const unavailableVoiceSender: VoiceSender = {
  async sendVoice() {
    throw new HushError('ServerUnreachable', 'Not connected: voice messages wait for the server.');
  },
  async sendFile() {
    throw new HushError('ServerUnreachable', 'Not connected: files wait for the server.');
  },
};

export function fileVoiceSender(files: FileSender): VoiceSender {
  return {
    async sendVoice(peer, bytes) {
      // Refuses what other clients could not play or the server would not take, before uploading.
      checkVoiceLimits(bytes);
      await files.send(peer, bytes);
    },
    async sendFile(peer, bytes) {
      if (bytes.length === 0) throw new HushError('UnsupportedContent', 'The file is empty.');
      await files.send(peer, bytes);
    },
  };
}
