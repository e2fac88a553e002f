import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VOICE_LIMIT_MS } from '../voice/sender.ts';
import {
  METER_EVERY_MS,
  VoiceRecording,
  type Permission,
  type Recorded,
  type Recorder,
} from './voice-recording.ts';
import { VOICE_RECORDING_OPTIONS, VOICE_WEB_MIME_TYPE } from './voice-settings.ts';
import { WebVoiceRecorder, type WebMedia } from './web-recorder.ts';

/** `openMs`: how long the microphone takes to open (prepareToRecordAsync), on the test's clock. */
function setup(permission: Permission, ask: Permission = permission, openMs = 0) {
  let now = 1_000;
  const calls: string[] = [];
  /** The audio session's modes, in the order they were set. */
  const audio: string[] = [];
  const recorder: Recorder = {
    uri: 'blob:voice',
    prepareToRecordAsync: async () => {
      calls.push('prepare');
      now += openMs;
    },
    record: () => void calls.push('record'),
    stop: async () => void calls.push('stop'),
  };
  const recording = new VoiceRecording({
    getPermission: async () => permission,
    requestPermission: async () => {
      calls.push('ask');
      return ask;
    },
    prepareAudio: async () => void audio.push('recording'),
    restoreAudio: async () => void audio.push('playback'),
    now: () => now,
    wait: async (ms) => {
      calls.push(`wait ${ms}`);
      now += ms;
    },
  });
  const sent: Recorded[] = [];
  recording.onRecorded((r) => sent.push(r));
  return { recording, recorder, calls, audio, sent, advance: (ms: number) => (now += ms) };
}

const granted = { granted: true, canAskAgain: true };

describe('hold-to-record', () => {
  it('records while held and sends on release', async () => {
    const { recording, recorder, calls, sent, advance } = setup(granted);
    await recording.press(recorder);
    assert.equal(recording.getSnapshot().phase, 'recording');
    advance(2_500);
    await recording.release(recorder);
    assert.deepEqual(calls, ['prepare', 'record', 'stop']);
    assert.deepEqual(sent, [{ uri: 'blob:voice', durationMs: 2_500 }]);
    assert.equal(recording.getSnapshot().phase, 'idle');
  });

  it('counts from the press: a microphone slow to open neither shortens the message nor the timer', async () => {
    const { recording, recorder, calls, sent, advance } = setup(granted, granted, 700);
    const pressed = recording.press(recorder);
    // Allowed: recording shows at once, while the microphone is still opening.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(recording.getSnapshot().phase, 'recording');
    await pressed;
    advance(2_300);
    await recording.release(recorder);
    // Held 3 s (0.7 s of it opening the microphone): 3 s sent, the recorder ran 0.7 s past the
    // release to make up for its late start.
    assert.deepEqual(calls, ['prepare', 'record', 'wait 700', 'stop']);
    assert.deepEqual(sent, [{ uri: 'blob:voice', durationMs: 3_000 }]);
  });

  it('a release while the microphone opens still sends the hold', async () => {
    const { recording, recorder, calls, sent, advance } = setup(granted);
    let opened: () => void = () => undefined;
    const opening = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const slow: Recorder = {
      ...recorder,
      uri: recorder.uri,
      prepareToRecordAsync: async () => {
        calls.push('prepare');
        await opening;
      },
    };
    const pressed = recording.press(slow);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(recording.getSnapshot().phase, 'recording');
    advance(1_500);
    await recording.release(slow);
    assert.equal(recording.getSnapshot().phase, 'finishing');
    advance(200);
    opened();
    await pressed;
    // Held 1.5 s, the recorder started 1.7 s after the press: it records 1.5 s from then.
    assert.deepEqual(calls, ['prepare', 'record', 'wait 1500', 'stop']);
    assert.deepEqual(sent, [{ uri: 'blob:voice', durationMs: 1_500 }]);
    assert.equal(recording.getSnapshot().phase, 'idle');
  });

  it('cancels when slid away, and takes a tap for a question', async () => {
    const { recording, recorder, sent, advance } = setup(granted);
    await recording.press(recorder);
    advance(3_000);
    recording.slide(-120, 80);
    assert.equal(recording.getSnapshot().cancelling, true);
    await recording.release(recorder);
    await recording.press(recorder);
    advance(100);
    await recording.release(recorder);
    assert.deepEqual(sent, []);
    assert.match(recording.getSnapshot().notice ?? '', /Hold the button/);
  });

  it('asks for the microphone once and shows a refusal', async () => {
    const { recording, recorder, calls, sent } = setup(
      { granted: false, canAskAgain: true },
      { granted: false, canAskAgain: false },
    );
    await recording.press(recorder);
    assert.deepEqual(calls, ['ask']);
    assert.equal(recording.getSnapshot().refused, true);
    assert.equal(recording.getSnapshot().phase, 'idle');
    assert.deepEqual(sent, []);
  });

  it('gives the audio session back to playback after every recording, sent, cancelled or failed', async () => {
    const { recording, recorder, audio, advance } = setup(granted);
    await recording.press(recorder);
    advance(2_000);
    await recording.release(recorder);
    assert.deepEqual(audio, ['recording', 'playback']);
    await recording.press(recorder);
    advance(2_000);
    recording.slide(-120, 80);
    await recording.release(recorder);
    assert.deepEqual(audio, ['recording', 'playback', 'recording', 'playback']);
    const broken: Recorder = {
      ...recorder,
      uri: recorder.uri,
      prepareToRecordAsync: async () => {
        throw new Error('microphone busy');
      },
    };
    await recording.press(broken);
    assert.match(recording.getSnapshot().notice ?? '', /microphone busy/);
    assert.deepEqual(audio.slice(4), ['recording', 'playback']);
  });

  it('stops at five minutes and sends what there is', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const { recording, recorder, sent, advance } = setup(granted);
    await recording.press(recorder);
    advance(VOICE_LIMIT_MS + 1);
    t.mock.timers.tick(200);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, [{ uri: 'blob:voice', durationMs: VOICE_LIMIT_MS }]);
  });
});

describe('the web recorder records speech, not music', () => {
  /** A fake browser: what getUserMedia and MediaRecorder were asked for, and their tracks. */
  function fakeMedia(supported = true) {
    const asked: { constraints?: MediaStreamConstraints; options?: MediaRecorderOptions } = {};
    const stopped: string[] = [];
    const listeners = new Map<string, (event: { data: Blob }) => void>();
    let state: 'inactive' | 'recording' = 'inactive';
    const recorder = {
      get state() {
        return state;
      },
      mimeType: supported ? VOICE_WEB_MIME_TYPE : 'audio/webm',
      addEventListener: (type: string, listener: (event: { data: Blob }) => void) =>
        void listeners.set(type, listener),
      start: () => void (state = 'recording'),
      stop: () => {
        state = 'inactive';
        listeners.get('dataavailable')?.({ data: new Blob([new Uint8Array(100)]) });
        listeners.get('stop')?.({ data: new Blob() });
      },
    };
    const stream = { getTracks: () => [{ stop: () => void stopped.push('track') }] };
    const media: WebMedia = {
      getUserMedia: async (constraints) => {
        asked.constraints = constraints;
        return stream as unknown as MediaStream;
      },
      createRecorder: (_stream, options) => {
        asked.options = options;
        return recorder as unknown as MediaRecorder;
      },
      isTypeSupported: (type) => supported && type === VOICE_WEB_MIME_TYPE,
      createObjectURL: (blob) => `blob:${blob.size}:${blob.type}`,
    };
    return { media, asked, stopped };
  }

  it('asks for one channel without echo cancellation, Opus at a speech bit rate', async () => {
    const { media, asked, stopped } = fakeMedia();
    const recorder = new WebVoiceRecorder(media);
    await recorder.prepareToRecordAsync();
    assert.deepEqual(asked.constraints, {
      audio: {
        channelCount: 1,
        echoCancellation: false,
        noiseSuppression: false,
        autoGainControl: true,
      },
      video: false,
    });
    assert.deepEqual(asked.options, {
      mimeType: 'audio/webm;codecs=opus',
      audioBitsPerSecond: 64_000,
    });
    recorder.record();
    await recorder.stop();
    assert.equal(recorder.uri, 'blob:100:audio/webm;codecs=opus');
    assert.deepEqual(stopped, ['track'], 'the microphone is closed once the message is taken');
  });

  it('leaves the container to the browser when it has no WebM Opus, keeping the bit rate', async () => {
    const { media, asked } = fakeMedia(false);
    await new WebVoiceRecorder(media).prepareToRecordAsync();
    assert.deepEqual(asked.options, { audioBitsPerSecond: 64_000 });
  });

  it('native recordings are AAC-LC in M4A, mono, at a speech bit rate', () => {
    assert.equal(VOICE_RECORDING_OPTIONS.numberOfChannels, 1);
    assert.equal(VOICE_RECORDING_OPTIONS.bitRate, 64_000);
    assert.equal(VOICE_RECORDING_OPTIONS.extension, '.m4a');
    assert.deepEqual(VOICE_RECORDING_OPTIONS.android, {
      outputFormat: 'mpeg4',
      audioEncoder: 'aac',
    });
    assert.equal(VOICE_RECORDING_OPTIONS.ios.outputFormat, 'aac ', 'IOSOutputFormat.MPEG4AAC');
    assert.equal(VOICE_RECORDING_OPTIONS.isMeteringEnabled, true, 'levels for the waveform');
  });

  it('record() before the microphone is open is an error, not a silent nothing', () => {
    assert.throws(() => new WebVoiceRecorder(fakeMedia().media).record(), /prepareToRecordAsync/);
  });
});

describe('the recorder’s levels, for the sender’s waveform on phones', () => {
  /** A metering recorder (expo-audio's) answering `levels` in turn, and a clock the test ticks. */
  function metered(levels: readonly (number | undefined | Error)[]) {
    let now = 1_000;
    let next = 0;
    const ticks: { ms: number; tick: () => void; stopped: boolean }[] = [];
    const recorder: Recorder = {
      uri: 'file:///voice.m4a',
      prepareToRecordAsync: async () => undefined,
      record: () => undefined,
      stop: async () => undefined,
      getStatus() {
        const level = levels[next++];
        if (level instanceof Error) throw level;
        return level === undefined ? {} : { metering: level };
      },
    };
    const recording = new VoiceRecording({
      getPermission: async () => granted,
      requestPermission: async () => granted,
      prepareAudio: async () => undefined,
      restoreAudio: async () => undefined,
      now: () => now,
      wait: async (ms) => void (now += ms),
      every(ms, tick) {
        const entry = { ms, tick, stopped: false };
        ticks.push(entry);
        return () => void (entry.stopped = true);
      },
    });
    const sent: Recorded[] = [];
    recording.onRecorded((r) => sent.push(r));
    const tick = (count: number) => {
      for (let i = 0; i < count; i++) for (const entry of ticks) if (!entry.stopped) entry.tick();
      now += count * METER_EVERY_MS;
    };
    return { recording, recorder, sent, ticks, tick };
  }

  it('reads the level while recording and sends it with the recording', async () => {
    const { recording, recorder, sent, ticks, tick } = metered([-160, -20, -6, -40]);
    await recording.press(recorder);
    assert.deepEqual(
      ticks.map(({ ms }) => ms),
      [METER_EVERY_MS],
    );
    tick(4);
    tick(12);
    await recording.release(recorder);
    assert.deepEqual(sent, [
      { uri: 'file:///voice.m4a', durationMs: 800, metering: [-160, -20, -6, -40] },
    ]);
    assert.ok(
      ticks.every((entry) => entry.stopped),
      'no more reading once stopped',
    );
  });

  it('skips a status without a level or that fails; a recording without levels has none', async () => {
    const some = metered([-30, undefined, new Error('gone'), Number.NaN, -10]);
    await some.recording.press(some.recorder);
    some.tick(13);
    await some.recording.release(some.recorder);
    assert.deepEqual(some.sent[0]?.metering, [-30, -10]);

    const none = metered([]);
    await none.recording.press(none.recorder);
    none.tick(13);
    await none.recording.release(none.recorder);
    assert.equal(none.sent.length, 1);
    assert.equal(none.sent[0]?.metering, undefined);
  });

  it('a cancelled recording stops reading too', async () => {
    const { recording, recorder, sent, ticks, tick } = metered([-10, -10]);
    await recording.press(recorder);
    tick(2);
    recording.slide(-200, 80);
    await recording.release(recorder);
    assert.deepEqual(sent, []);
    assert.ok(ticks.every((entry) => entry.stopped));
  });
});
