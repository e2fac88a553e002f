// The web's voice recorder: getUserMedia with speech constraints and MediaRecorder with a speech
// bit rate (voice-settings.ts), behind the Recorder shape VoiceRecording drives. expo-audio's own
// web recorder opens the microphone with `{ audio: true }` (stereo where the device offers it, echo
// cancellation on) and cannot be given constraints.
import type { Recorder } from './voice-recording.ts';
import { VOICE_WEB_MIME_TYPE, voiceRecorderOptions } from './voice-settings.ts';

/** The browser APIs used, injectable for tests. */
export interface WebMedia {
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>;
  createRecorder(stream: MediaStream, options: MediaRecorderOptions): MediaRecorder;
  isTypeSupported(mimeType: string): boolean;
  createObjectURL(blob: Blob): string;
}

export function browserMedia(): WebMedia {
  return {
    getUserMedia: (constraints) => navigator.mediaDevices.getUserMedia(constraints),
    createRecorder: (stream, options) => new MediaRecorder(stream, options),
    isTypeSupported: (mimeType) => MediaRecorder.isTypeSupported(mimeType),
    createObjectURL: (blob) => URL.createObjectURL(blob),
  };
}

export class WebVoiceRecorder implements Recorder {
  uri: string | null = null;
  private readonly media: WebMedia;
  private stream: MediaStream | undefined;
  private recorder: MediaRecorder | undefined;
  private chunks: Blob[] = [];

  constructor(media: WebMedia = browserMedia()) {
    this.media = media;
  }

  async prepareToRecordAsync(): Promise<void> {
    this.release();
    const options = voiceRecorderOptions((type) => this.media.isTypeSupported(type));
    const stream = await this.media.getUserMedia({
      audio: { ...options.constraints.audio },
      video: false,
    });
    this.stream = stream;
    const chunks: Blob[] = [];
    this.chunks = chunks;
    const recorder = this.media.createRecorder(stream, options.recorder);
    recorder.addEventListener('dataavailable', (event) => {
      if (event.data.size > 0) chunks.push(event.data);
    });
    this.recorder = recorder;
  }

  record(): void {
    if (!this.recorder) throw new Error('prepareToRecordAsync() first');
    this.recorder.start();
  }

  async stop(): Promise<void> {
    const recorder = this.recorder;
    if (!recorder) return;
    if (recorder.state !== 'inactive') {
      const stopped = new Promise<void>((resolve) =>
        recorder.addEventListener('stop', () => resolve(), { once: true }),
      );
      recorder.stop();
      await stopped;
    }
    // The microphone is closed as soon as the message is taken (the browser's indicator goes off).
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = undefined;
    this.recorder = undefined;
    const type = recorder.mimeType || VOICE_WEB_MIME_TYPE;
    // The previous recording's URL is left alone: its message may still be on its way out.
    this.uri = this.media.createObjectURL(new Blob(this.chunks, { type }));
  }

  /** Closes a microphone left open by a recording that never started. */
  private release(): void {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = undefined;
    this.recorder = undefined;
  }
}
