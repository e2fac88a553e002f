// What recording a voice message costs the web: Debian's Chromium (headless) with its fake
// microphone playing speech, a page that records as the app does, and the CPU time of every
// Chromium process (/proc/<pid>/stat, user + system) over windows of WINDOW_S seconds, each
// recording window between two idle ones (the page open, the microphone closed). "Above idle" is a
// recording window's CPU minus the mean of the idle windows on either side, in % of one core.
// Configurations alternate window by window, so load on the machine touches each alike:
// - expo-audio's web recorder as the app used it: getUserMedia({ audio: true }) (echo
//   cancellation, noise suppression and AGC on; stereo where offered), MediaRecorder audio/webm at
//   128 kb/s (RecordingPresets.HIGH_QUALITY);
// - Hush's speech settings (packages/app/src/audio/voice-web-settings.ts, voiceRecorderOptions): mono,
//   no echo cancellation or noise suppression, AGC on, Opus at 64 kb/s;
// - the same with noise suppression on, and at 32 kb/s, to show what each choice costs.
// (With no processing at all Chromium delivers the device's own channels: stereo from its fake
// device, whatever channelCount asks; any processing stage gives the mono track asked for.)
// `node bench/recording.ts` prints a whole table; bench/run.ts appends the rows to its own table.
import { execFile } from 'node:child_process';
import { readFile, readdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { voiceRecorderOptions } from '../packages/app/src/audio/voice-web-settings.ts';
import { median, noiseMark, printHeader, printRows, runs, type Runs } from './stats.ts';

const run = promisify(execFile);
const WINDOW_S = Number(process.env.BENCH_RECORDING_WINDOW_S ?? 30);
const ROUNDS = Number(process.env.BENCH_RECORDING_ROUNDS ?? 3);
const TICKS_PER_S = 100; // USER_HZ on Linux

// The page's getUserMedia constraints and MediaRecorder options, as plain JSON (no DOM types here).
type Constraints = { audio: true | Record<string, unknown>; video?: false };
type RecorderOptions = { mimeType?: string; bitsPerSecond?: number; audioBitsPerSecond?: number };
type TrackSettings = { channelCount?: number; echoCancellation?: boolean };

interface Setting {
  readonly label: string;
  readonly constraints: Constraints;
  readonly recorder: RecorderOptions;
}

const speech = voiceRecorderOptions(() => true);
const SETTINGS: Record<'expo' | 'speech' | 'speechNs' | 'speech32', Setting> = {
  expo: {
    label: "expo-audio's web recorder (audio: true; WebM 128 kb/s)",
    constraints: { audio: true },
    recorder: { mimeType: 'audio/webm', bitsPerSecond: 128_000 },
  },
  speech: {
    label: 'Hush speech settings (mono, AGC only, Opus 64 kb/s)',
    ...speech,
  },
  speechNs: {
    label: 'Hush speech settings with noise suppression on',
    constraints: { audio: { ...speech.constraints.audio, noiseSuppression: true } },
    recorder: speech.recorder,
  },
  speech32: {
    label: 'Hush speech settings at 32 kb/s (Opus in its SILK/hybrid speech mode)',
    constraints: speech.constraints,
    recorder: { ...speech.recorder, audioBitsPerSecond: 32_000 },
  },
};
type Name = keyof typeof SETTINGS;

const PAGE = `<!doctype html><meta charset="utf-8"><title>recording</title><script>
window.startRecording = async (constraints, options) => {
  const stream = await navigator.mediaDevices.getUserMedia(constraints);
  const recorder = new MediaRecorder(stream, options);
  const chunks = [];
  recorder.ondataavailable = (event) => chunks.push(event.data);
  recorder.start();
  window.current = { stream, recorder, chunks };
  return stream.getAudioTracks()[0].getSettings();
};
window.stopRecording = async () => {
  const { stream, recorder, chunks } = window.current;
  await new Promise((resolve) => { recorder.onstop = resolve; recorder.stop(); });
  for (const track of stream.getTracks()) track.stop();
  return { bytes: new Blob(chunks).size, mimeType: recorder.mimeType };
};
</script>`;

/** Pid → CPU ticks and process type, for Chromium's process and all its descendants. */
async function chromiumTicks(root: number): Promise<Map<number, { ticks: number; kind: string }>> {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(pid, Number(fields[1]));
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // gone meanwhile
    }
  }
  const out = new Map<number, { ticks: number; kind: string }>();
  for (const [pid, value] of ticks) {
    let p: number | undefined = pid;
    while (p !== undefined && p > 1 && p !== root) p = parents.get(p);
    if (p !== root) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const type = /--type=([\w-]+)/.exec(cmdline)?.[1];
    const sub = /--utility-sub-type=([\w.]+)/.exec(cmdline)?.[1];
    if (pid === root) continue; // Node itself (playwright's side of the pipe)
    const kind = sub ? `utility ${sub}` : (type ?? 'browser');
    out.set(pid, { ticks: value, kind });
  }
  return out;
}

/** % of one core used by Chromium during `seconds`, in total and by process kind. */
async function measureWindow(root: number, seconds: number, during: () => Promise<void>) {
  const before = await chromiumTicks(root);
  const start = performance.now();
  await during();
  const elapsed = (performance.now() - start) / 1000;
  const after = await chromiumTicks(root);
  const byKind = new Map<string, number>();
  for (const [pid, { ticks, kind }] of after) {
    const used = ticks - (before.get(pid)?.ticks ?? 0);
    byKind.set(kind, (byKind.get(kind) ?? 0) + used);
  }
  const percent = (t: number) => (t / TICKS_PER_S / (elapsed || seconds)) * 100;
  const total = percent([...byKind.values()].reduce((a, b) => a + b, 0));
  return { total, byKind: new Map([...byKind].map(([k, t]) => [k, percent(t)])) };
}

const sleep = (s: number) => new Promise<void>((resolve) => setTimeout(resolve, s * 1000));

async function speechWav(dir: string): Promise<string> {
  const raw = join(dir, 'raw.wav');
  const wav = join(dir, 'speech.wav');
  await run('espeak-ng', [
    '-w',
    raw,
    'Hello Bob, this is a voice message from Alice. I am on my way and will be there in ten minutes.',
  ]);
  await run('sox', [raw, '-r', '48000', '-c', '1', wav]);
  return wav;
}

export async function measureRecording(): Promise<[string, string][]> {
  const dir = await mkdtemp(join(tmpdir(), 'hush-bench-recording-'));
  const server = createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${await speechWav(dir)}`,
    ],
  });
  try {
    // Chromium's browser process is this process's child; all of Chromium descends from here.
    const root = process.pid;
    const page: Page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    const names = Object.keys(SETTINGS) as Name[];
    const above = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<
      Name,
      number[]
    >;
    const kinds = Object.fromEntries(names.map((n) => [n, new Map<string, number[]>()])) as Record<
      Name,
      Map<string, number[]>
    >;
    const idle: number[] = [];
    const facts = new Map<Name, string>();
    const idleWindow = () => measureWindow(root, WINDOW_S, () => sleep(WINDOW_S));
    // One unrecorded recording of each first: the encoder and audio service started and warm.
    for (const name of names) {
      await on(page).start(SETTINGS[name]);
      await sleep(2);
      await on(page).stop();
    }
    let before = await idleWindow();
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of names) {
        let settings: TrackSettings = {};
        let made = { bytes: 0, mimeType: '' };
        const busy = await measureWindow(root, WINDOW_S, async () => {
          settings = await on(page).start(SETTINGS[name]);
          await sleep(WINDOW_S);
          made = await on(page).stop();
        });
        const after = await idleWindow();
        const base = (before.total + after.total) / 2;
        idle.push(before.total);
        above[name].push(busy.total - base);
        for (const [kind, value] of busy.byKind) {
          const idleKind = ((before.byKind.get(kind) ?? 0) + (after.byKind.get(kind) ?? 0)) / 2;
          const list = kinds[name].get(kind) ?? [];
          list.push(value - idleKind);
          kinds[name].set(kind, list);
        }
        facts.set(
          name,
          `${settings.channelCount ?? '?'} channel(s), echo cancellation ${String(settings.echoCancellation)}, ${made.mimeType}, ${((made.bytes * 8) / WINDOW_S / 1000).toFixed(0)} kb/s written`,
        );
        before = after;
      }
    }
    const results = Object.fromEntries(names.map((n) => [n, runs(above[n])])) as Record<Name, Runs>;
    const rows: [string, string][] = [
      [
        `Chromium idle, the page open, microphone closed, ${WINDOW_S} s windows, median`,
        `${median(idle).toFixed(1)} % of one core`,
      ],
    ];
    for (const name of names) {
      const top = [...kinds[name]]
        .map(([kind, values]) => [kind, median(values)] as const)
        .filter(([, value]) => Math.abs(value) >= 0.5)
        .sort((a, b) => b[1] - a[1])
        .map(([kind, value]) => `${kind} ${value.toFixed(1)}`)
        .join(', ');
      rows.push([
        `recording a voice message in Chromium, ${SETTINGS[name].label}, CPU above idle, ${ROUNDS} windows of ${WINDOW_S} s, min / median`,
        `${results[name].min.toFixed(1)} / ${results[name].median.toFixed(1)} % of one core (${top}; ${facts.get(name) ?? ''})`,
      ]);
    }
    rows.push([
      'recording CPU above idle, Hush speech settings vs expo-audio web recorder, medians',
      `${results.speech.median.toFixed(1)} % vs ${results.expo.median.toFixed(1)} %${noiseMark(results.speech, results.expo)}`,
    ]);
    rows.push([
      'recording CPU above idle, noise suppression on vs off (otherwise speech settings), medians',
      `${results.speechNs.median.toFixed(1)} % vs ${results.speech.median.toFixed(1)} %${noiseMark(results.speechNs, results.speech)}`,
    ]);
    rows.push([
      'recording CPU above idle, Opus at 32 vs 64 kb/s (otherwise speech settings), medians',
      `${results.speech32.median.toFixed(1)} % vs ${results.speech.median.toFixed(1)} %${noiseMark(results.speech32, results.speech)}`,
    ]);
    return rows;
  } finally {
    await browser.close();
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** What the page's script defines on its window. */
interface Recording {
  startRecording(constraints: Constraints, options: RecorderOptions): Promise<TrackSettings>;
  stopRecording(): Promise<{ bytes: number; mimeType: string }>;
}
const on = (page: Page) => ({
  start: (setting: Setting) =>
    page.evaluate(([c, o]) => (globalThis as unknown as Recording).startRecording(c, o), [
      setting.constraints,
      setting.recorder,
    ] as const),
  stop: () => page.evaluate(() => (globalThis as unknown as Recording).stopRecording()),
});

/** Prints the rows as lines of run.ts's Markdown table. */
export async function printRecordingRows(): Promise<void> {
  printRows(await measureRecording());
}

if (process.argv[1] === import.meta.filename) {
  printHeader();
  await printRecordingRows();
}
