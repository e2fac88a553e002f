// What the receiver learns from a file's own bytes: the sender attaches no clear-text metadata
// (ARCHITECTURE.md), so kind, type and duration all come from sniffing the decrypted content.

export type AudioContainer = 'mp4' | 'ogg' | 'webm';
export type AudioCodec = 'aac' | 'opus';

export interface AudioInfo {
  readonly container: AudioContainer;
  readonly codec: AudioCodec;
  /** e.g. 'audio/mp4', 'audio/ogg; codecs=opus': what a player is asked to play. */
  readonly mimeType: string;
  /** Read from the container, without decoding; rounded to whole milliseconds. */
  readonly durationMs: number;
}

export type FileKind = 'voice' | 'image' | 'file';

export interface FileInfo {
  readonly kind: FileKind;
  readonly mimeType: string;
  /** Set for every playable audio file, voice message or not (too long, too large). */
  readonly audio?: AudioInfo;
}

/** What a container parser found; voice.ts turns it into AudioInfo or a refusal. */
export interface ContainerAudio {
  readonly codec: AudioCodec | undefined;
  /** A codec the parser saw but Hush does not play as voice (for messages and tests). */
  readonly otherCodec?: string;
  readonly hasVideo: boolean;
  readonly durationMs: number;
}
