// The hold-to-record state machine, apart from the button that drives it: idle → starting (asking
// for the microphone) → recording → finishing → idle. Release sends, sliding away cancels, the
// 5-minute limit sends what there is. A plain class with a snapshot, as the chat logic.
//
// A voice message is as long as the hold, counted from the press: the timer runs from the moment
// the button went down, and recording is shown as soon as the microphone is allowed. Opening the
// microphone takes a while (a browser's getUserMedia, an audio session on a phone; more with a
// Bluetooth headset), so the recorder starts a little after the press; it keeps recording for
// that same while after the release, and the message comes out as long as the button was held.
import { VOICE_LIMIT_MS } from '../voice/sender.ts';
import { SnapshotStore } from '../client/store.ts';
import { currentWords, fill } from '../i18n/current.ts';

// What a voice message is recorded with (mono, speech bit rates, no echo cancellation on the web)
// and the web's recorder that applies it: voice-settings.ts says why.
export { VOICE_RECORDING_OPTIONS, voiceRecorderOptions } from './voice-settings.ts';
export { WebVoiceRecorder } from './web-recorder.ts';

/** Shorter presses are taken as a tap: they explain how to record instead of sending a click. */
export const MIN_VOICE_MS = 600;

/** The recorder keeps going after the release for as long as it took to start, up to this. */
export const MAX_START_DELAY_MS = 2_000;

/**
 * How often a metering recorder's level is read while it runs: 20 a second, so a 2-second message
 * fills the waveform's 40 bars (ui/waveform.ts).
 */
export const METER_EVERY_MS = 50;

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
  /**
   * expo-audio's status, whose `metering` is the input level in dBFS where metering is on (phones:
   * voice-settings.ts). The web's recorder has none: its waveform is decoded from the file.
   */
  getStatus?(): { readonly metering?: number | undefined };
}

export interface RecordingDeps {
  getPermission(): Promise<Permission>;
  requestPermission(): Promise<Permission>;
  /** Sets the audio session up for recording (iOS: category, background). */
  prepareAudio(): Promise<void>;
  /**
   * Gives the audio session back to playback once the recorder stopped, sent, cancelled or failed:
   * left recording, iOS keeps the play-and-record category (quieter playback, other apps' audio
   * interrupted) and Android keeps background recording on.
   */
  restoreAudio(): Promise<void>;
  now?: () => number;
  /** Resolves after `ms` (tests pass a clock of their own). */
  wait?: (ms: number) => Promise<void>;
  /** Calls `tick` every `ms` until the function it returns is called (tests tick themselves). */
  every?: (ms: number, tick: () => void) => () => void;
}

export interface Recorded {
  readonly uri: string;
  readonly durationMs: number;
  /**
   * The recorder's level (dBFS) every METER_EVERY_MS while it ran, where it meters (phones): the
   * sender's copy gets its waveform from these, as phones cannot decode the file.
   */
  readonly metering?: readonly number[];
}

interface EarlyRelease {
  readonly at: number;
  readonly send: boolean;
}

export class VoiceRecording extends SnapshotStore<RecordingSnapshot> {
  private readonly deps: RecordingDeps;
  private readonly now: () => number;
  private readonly wait: (ms: number) => Promise<void>;
  /** When the button went down: the message's length and the timer count from here. */
  private pressedAt = 0;
  /** When the recorder actually started; undefined while the microphone is still opening. */
  private runningSince: number | undefined;
  /** Released (or cancelled) before the recorder ran: what to do once it does. */
  private releasedEarly: EarlyRelease | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly every: (ms: number, tick: () => void) => () => void;
  /** The levels read while the recorder runs, and what stops reading them. */
  private metering: number[] = [];
  private stopMetering: (() => void) | undefined;
  private readonly recordedListeners = new Set<(recording: Recorded) => void>();

  constructor(deps: RecordingDeps) {
    super({ phase: 'idle', elapsedMs: 0, cancelling: false, refused: false });
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.wait = deps.wait ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.every =
      deps.every ??
      ((ms, tick) => {
        const timer = setInterval(tick, ms);
        return () => clearInterval(timer);
      });
  }

  /** The finger went down: ask for the microphone if needed, then record. */
  async press(recorder: Recorder): Promise<void> {
    if (this.getSnapshot().phase !== 'idle') return;
    this.pressedAt = this.now();
    this.runningSince = undefined;
    this.releasedEarly = undefined;
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
            notice: currentWords().record.allowed,
          });
          return;
        }
      }
      if (!permission.granted) {
        this.set({ phase: 'idle', elapsedMs: 0, cancelling: false, refused: true });
        return;
      }
      // Allowed: the person sees the recording (and its timer, from the press) at once, while the
      // microphone opens.
      if (!this.releasedEarly) {
        this.update({ phase: 'recording', elapsedMs: this.now() - this.pressedAt });
        this.timer = setInterval(() => this.tick(recorder), 200);
      }
      await this.deps.prepareAudio();
      await recorder.prepareToRecordAsync();
      recorder.record();
      this.runningSince = this.now();
      this.startMetering(recorder);
      const early = this.earlyRelease();
      if (early) await this.stopRecorder(recorder, early.send, early.at);
    } catch (error) {
      clearInterval(this.timer);
      this.endMetering();
      await this.restoreAudio();
      this.set({
        phase: 'idle',
        elapsedMs: 0,
        cancelling: false,
        refused: false,
        notice: fill(currentWords().record.failed, {
          reason: error instanceof Error ? error.message : String(error),
        }),
      });
    }
  }

  /** Reads the running recorder's level, where it meters, until endMetering(). */
  private startMetering(recorder: Recorder): void {
    this.metering = [];
    const status = recorder.getStatus?.bind(recorder);
    if (!status) return;
    this.stopMetering = this.every(METER_EVERY_MS, () => {
      try {
        const level = status().metering;
        if (typeof level === 'number' && Number.isFinite(level)) this.metering.push(level);
      } catch {
        // A status read that fails is one bar less, not a failed recording.
      }
    });
  }

  /** Stops reading levels; returns those read. */
  private endMetering(): number[] {
    this.stopMetering?.();
    this.stopMetering = undefined;
    const levels = this.metering;
    this.metering = [];
    return levels;
  }

  /** A release that came while the microphone was opening (set by finish() meanwhile). */
  private earlyRelease(): EarlyRelease | undefined {
    return this.releasedEarly;
  }

  /** A session that cannot be switched back stays as it is; the recording is not lost for it. */
  private async restoreAudio(): Promise<void> {
    try {
      await this.deps.restoreAudio();
    } catch {
      // the next recording sets the session up again
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
    const elapsedMs = this.now() - this.pressedAt;
    this.update({ elapsedMs });
    if (elapsedMs >= VOICE_LIMIT_MS) void this.finish(recorder, true);
  }

  private async finish(recorder: Recorder, send: boolean): Promise<void> {
    const { phase } = this.getSnapshot();
    if (phase === 'starting' || (phase === 'recording' && this.runningSince === undefined)) {
      // Still asking or still opening the microphone: press() finishes once the recorder runs.
      this.releasedEarly ??= { at: this.now(), send };
      clearInterval(this.timer);
      if (phase === 'recording') this.update({ phase: 'finishing' });
      return;
    }
    if (phase !== 'recording') return;
    await this.stopRecorder(recorder, send, this.now());
  }

  /** Stops the running recorder for a release at `releasedAt`, and hands the recording on. */
  private async stopRecorder(recorder: Recorder, send: boolean, releasedAt: number): Promise<void> {
    clearInterval(this.timer);
    this.update({ phase: 'finishing' });
    const runningSince = this.runningSince ?? releasedAt;
    const durationMs = Math.min(releasedAt - this.pressedAt, VOICE_LIMIT_MS);
    const tooShort = send && durationMs < MIN_VOICE_MS;
    if (send && !tooShort) {
      // The recorder started late by this much: it stops as much after the release, so the
      // message is as long as the hold (never past the limit).
      const late = Math.min(runningSince - this.pressedAt, MAX_START_DELAY_MS);
      const recorded = releasedAt - runningSince;
      const more = Math.min(late, VOICE_LIMIT_MS - recorded) - (this.now() - releasedAt);
      if (more > 0) await this.wait(more);
    }
    const metering = this.endMetering();
    try {
      await recorder.stop();
    } catch {
      // a recorder that already stopped by itself
    }
    await this.restoreAudio();
    const uri = recorder.uri;
    this.set({
      phase: 'idle',
      elapsedMs: 0,
      cancelling: false,
      refused: false,
      ...(tooShort ? { notice: currentWords().record.tooShort } : {}),
    });
    if (send && !tooShort && uri) {
      const recorded = { uri, durationMs, ...(metering.length > 0 ? { metering } : {}) };
      for (const listener of [...this.recordedListeners]) listener(recorded);
    }
  }
}
