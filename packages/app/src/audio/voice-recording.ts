// The hold-to-record state machine, apart from the button that drives it: idle → starting (asking
// for the microphone, preparing) → recording → finishing → idle. Release sends, sliding away
// cancels, the 5-minute limit sends what there is. A plain class with a snapshot, as the chat logic.
import { VOICE_LIMIT_MS } from '../voice/sender.ts';
import { SnapshotStore } from '../client/store.ts';

/** Shorter presses are taken as a tap: they explain how to record instead of sending a click. */
export const MIN_VOICE_MS = 600;

export type RecordingPhase = 'idle' | 'starting' | 'recording' | 'finishing';

export interface RecordingSnapshot {
  readonly phase: RecordingPhase;
  readonly elapsedMs: number;
  /** The finger is far enough away that letting go cancels. */
  readonly cancelling: boolean;
  /** The microphone permission was refused (and cannot be asked again here). */
  readonly refused: boolean;
  readonly notice?: string;
}

export interface Permission {
  readonly granted: boolean;
  readonly canAskAgain: boolean;
}

/** The part of expo-audio's recorder this needs (also what tests fake). */
export interface Recorder {
  prepareToRecordAsync(): Promise<void>;
  record(): void;
  stop(): Promise<void>;
  readonly uri: string | null;
}

export interface RecordingDeps {
  getPermission(): Promise<Permission>;
  requestPermission(): Promise<Permission>;
  /** Sets the audio session up for recording (iOS: category, background). */
  prepareAudio(): Promise<void>;
  now?: () => number;
}

export interface Recorded {
  readonly uri: string;
  readonly durationMs: number;
}

export class VoiceRecording extends SnapshotStore<RecordingSnapshot> {
  private readonly deps: RecordingDeps;
  private readonly now: () => number;
  private startedAt = 0;
  private releasedEarly = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly recordedListeners = new Set<(recording: Recorded) => void>();

  constructor(deps: RecordingDeps) {
    super({ phase: 'idle', elapsedMs: 0, cancelling: false, refused: false });
    this.deps = deps;
    this.now = deps.now ?? Date.now;
  }

  /** The finger went down: ask for the microphone if needed, then record. */
  async press(recorder: Recorder): Promise<void> {
    if (this.getSnapshot().phase !== 'idle') return;
    this.releasedEarly = false;
    this.set({ phase: 'starting', elapsedMs: 0, cancelling: false, refused: false });
    try {
      let permission = await this.deps.getPermission();
      if (!permission.granted && permission.canAskAgain) {
        permission = await this.deps.requestPermission();
        if (permission.granted) {
          // The question interrupted the hold: the next press records.
          this.set({
            phase: 'idle',
            elapsedMs: 0,
            cancelling: false,
            refused: false,
            notice: 'Microphone allowed. Hold the button to record.',
          });
          return;
        }
      }
      if (!permission.granted) {
        this.set({ phase: 'idle', elapsedMs: 0, cancelling: false, refused: true });
        return;
      }
      await this.deps.prepareAudio();
      await recorder.prepareToRecordAsync();
      recorder.record();
      this.startedAt = this.now();
      this.update({ phase: 'recording' });
      this.timer = setInterval(() => this.tick(recorder), 200);
      if (this.releasedEarly) await this.finish(recorder, false);
    } catch (error) {
      this.set({
        phase: 'idle',
        elapsedMs: 0,
        cancelling: false,
        refused: false,
        notice: `Could not record: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }

  /** Calls `listener` with every finished recording to send; returns the unsubscribe. */
  onRecorded(listener: (recording: Recorded) => void): () => void {
    this.recordedListeners.add(listener);
    return () => {
      this.recordedListeners.delete(listener);
    };
  }

  /** The finger moved: far enough left (negative dx) means cancel on release. */
  slide(dx: number, cancelDistance: number): void {
    const cancelling = dx < -cancelDistance;
    if (cancelling !== this.getSnapshot().cancelling) this.update({ cancelling });
  }

  /** The finger went up: send, unless it slid away to cancel. */
  release(recorder: Recorder): Promise<void> {
    return this.finish(recorder, !this.getSnapshot().cancelling);
  }

  /** The gesture was taken away (a scroll, a call): never send half a thought. */
  abort(recorder: Recorder): Promise<void> {
    return this.finish(recorder, false);
  }

  private tick(recorder: Recorder): void {
    const elapsedMs = this.now() - this.startedAt;
    this.update({ elapsedMs });
    if (elapsedMs >= VOICE_LIMIT_MS) void this.finish(recorder, true);
  }

  private async finish(recorder: Recorder, send: boolean): Promise<void> {
    const { phase } = this.getSnapshot();
    if (phase === 'starting') {
      this.releasedEarly = true;
      return;
    }
    if (phase !== 'recording') return;
    clearInterval(this.timer);
    this.update({ phase: 'finishing' });
    const durationMs = Math.min(this.now() - this.startedAt, VOICE_LIMIT_MS);
    try {
      await recorder.stop();
    } catch {
      // a recorder that already stopped by itself
    }
    const uri = recorder.uri;
    const tooShort = send && durationMs < MIN_VOICE_MS;
    this.set({
      phase: 'idle',
      elapsedMs: 0,
      cancelling: false,
      refused: false,
      ...(tooShort ? { notice: 'Hold the button to record, release to send.' } : {}),
    });
    if (send && !tooShort && uri) {
      for (const listener of [...this.recordedListeners]) listener({ uri, durationMs });
    }
  }
}
