// How voice messages and files leave the device. The UI only knows this interface; the
// implementation is core's FileSender: checked (voice limits, not empty), encrypted (XEP-0454), kept
// in storage until done, uploaded (XEP-0363) and sent as an OMEMO-encrypted aesgcm:// link, with the
// name, type and length inside the encryption where the contact speaks OMEMO 2 (XEP-0447).
import {
  FileSender,
  HushError,
  VOICE_MAX_DURATION_MS,
  checkVoiceLimits,
  inspectFile,
} from '@hush/core';

/** Longest voice message (doc/design.md: 5 minutes). */
export const VOICE_LIMIT_MS = VOICE_MAX_DURATION_MS;

export interface VoiceSender {
  /**
   * Sends a recording (audio/mp4 from iOS and Android, audio/webm from browsers) to `peer`: its
   * type and length are read from its bytes, not taken from the recorder.
   */
  sendVoice(peer: string, bytes: Uint8Array): Promise<void>;
  /** Sends any file (a photo, a document) under `name`; the server's limit applies. */
  sendFile(peer: string, bytes: Uint8Array, name?: string): Promise<void>;
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
      const audio = checkVoiceLimits(bytes);
      await files.send(peer, bytes, {
        mediaType: audio.mimeType,
        durationMs: audio.durationMs,
      });
    },
    async sendFile(peer, bytes, name) {
      if (bytes.length === 0) throw new HushError('UnsupportedContent', 'The file is empty.');
      await files.send(peer, bytes, {
        ...(name ? { name } : {}),
        mediaType: inspectFile(bytes).mimeType,
      });
    },
  };
}
