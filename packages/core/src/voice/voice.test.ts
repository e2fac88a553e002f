// Durations and formats of real recordings made by ffmpeg: every container and codec Hush plays,
// fragmented MP4 as MediaRecorder writes it, and WebM without a Duration element.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FileTooLargeError, isHushError, VoiceTooLongError } from '../errors.ts';
import { checkVoiceLimits, inspectAudio, inspectFile, VOICE_MAX_BYTES } from './index.ts';
import { tone } from '@hush/test-utils';

const run = promisify(execFile);
let dir: string;

interface Sample {
  readonly name: string;
  readonly seconds: number;
  readonly args: readonly string[];
  readonly container: string;
  readonly codec: string;
  readonly mimeType: string;
}

const FORMATS = [
  {
    ext: 'm4a',
    args: ['-c:a', 'aac', '-b:a', '32k'],
    container: 'mp4',
    codec: 'aac',
    mimeType: 'audio/mp4',
  },
  {
    ext: 'mp4',
    args: ['-c:a', 'libopus', '-b:a', '16k', '-f', 'mp4'],
    container: 'mp4',
    codec: 'opus',
    mimeType: 'audio/mp4; codecs=opus',
  },
  {
    ext: 'ogg',
    args: ['-c:a', 'libopus', '-b:a', '16k'],
    container: 'ogg',
    codec: 'opus',
    mimeType: 'audio/ogg; codecs=opus',
  },
  {
    ext: 'webm',
    args: ['-c:a', 'libopus', '-b:a', '16k'],
    container: 'webm',
    codec: 'opus',
    mimeType: 'audio/webm; codecs=opus',
  },
  {
    ext: 'frag-aac.mp4',
    args: ['-c:a', 'aac', '-b:a', '32k', '-movflags', 'frag_keyframe+empty_moov', '-f', 'mp4'],
    container: 'mp4',
    codec: 'aac',
    mimeType: 'audio/mp4',
  },
  {
    ext: 'frag-opus.mp4',
    args: ['-c:a', 'libopus', '-b:a', '16k', '-movflags', 'frag_keyframe+empty_moov', '-f', 'mp4'],
    container: 'mp4',
    codec: 'opus',
    mimeType: 'audio/mp4; codecs=opus',
  },
  {
    // -live: unknown-size Segment and Clusters, no Duration, no Cues, as MediaRecorder writes.
    ext: 'live.webm',
    args: ['-c:a', 'libopus', '-b:a', '16k', '-live', '1', '-f', 'webm'],
    container: 'webm',
    codec: 'opus',
    mimeType: 'audio/webm; codecs=opus',
  },
];
const SAMPLES: Sample[] = [1, 3.2, 61].flatMap((seconds) =>
  FORMATS.map(({ ext, ...format }) => ({ name: `${seconds}s.${ext}`, seconds, ...format })),
);

/** Runs `jobs` two at a time (the machines have two cores). */
async function inPairs(jobs: (() => Promise<unknown>)[]): Promise<void> {
  const queue = [...jobs];
  await Promise.all(
    [0, 1].map(async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await job();
    }),
  );
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hush-voice-'));
  await inPairs(
    SAMPLES.map(
      (sample) => () => tone(join(dir, sample.name), sample.seconds, ['-ac', '1', ...sample.args]),
    ),
  );
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const load = async (name: string) => new Uint8Array(await readFile(join(dir, name)));

test('container, codec, type and duration within 50 ms for 1.0, 3.2 and 61 s in every format', async () => {
  for (const sample of SAMPLES) {
    const info = inspectAudio(await load(sample.name));
    assert.equal(info.container, sample.container, sample.name);
    assert.equal(info.codec, sample.codec, sample.name);
    assert.equal(info.mimeType, sample.mimeType, sample.name);
    assert.ok(
      Math.abs(info.durationMs - sample.seconds * 1000) <= 50,
      `${sample.name}: ${info.durationMs} ms`,
    );
  }
});

test('WebM whose Duration element was blanked out falls back to the last block', async () => {
  for (const seconds of [1, 3.2, 61]) {
    const bytes = await load(`${seconds}s.webm`);
    // Duration (0x4489, 8-byte float) becomes a Void element (0xEC) of the same 11 bytes.
    const at = Buffer.from(bytes).indexOf(Buffer.from([0x44, 0x89, 0x88]));
    assert.ok(at > 0);
    bytes.set([0xec, 0x89], at);
    const info = inspectAudio(bytes);
    assert.ok(
      Math.abs(info.durationMs - seconds * 1000) <= 50,
      `${seconds} s: ${info.durationMs} ms`,
    );
  }
});

test('WebM with unknown-size Clusters, as MediaRecorder writes them', async () => {
  for (const seconds of [1, 3.2, 61]) {
    const bytes = await load(`${seconds}s.live.webm`);
    // Walk the Clusters and set every size to "unknown" (all value bits 1, same length).
    let at = Buffer.from(bytes).indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75]));
    let clusters = 0;
    while (at > 0 && at + 5 < bytes.length && bytes[at] === 0x1f) {
      const first = bytes[at + 4] ?? 0;
      const length = Math.clz32(first) - 23;
      let size = first & (0xff >> length);
      for (let i = 1; i < length; i++) size = size * 256 + (bytes[at + 4 + i] ?? 0);
      bytes[at + 4] = 0xff >> (length - 1);
      bytes.fill(0xff, at + 5, at + 4 + length);
      at += 4 + length + size;
      clusters++;
    }
    assert.ok(clusters >= 1);
    const info = inspectAudio(bytes);
    assert.ok(
      Math.abs(info.durationMs - seconds * 1000) <= 50,
      `${seconds} s: ${info.durationMs} ms`,
    );
  }
});

test('fragmented MP4 laid out as Chromium writes it: tfdt anchors, placeholder last samples', () => {
  // Measured on Chromium's MediaRecorder (audio/mp4;codecs=opus): mvhd duration 0, mdhd a few
  // hundred units, one moof per timeslice whose last sample claims 1008 units (21 ms) although each
  // Opus packet is 2880 (60 ms); the tfdt of each fragment is exact.
  const u32 = (value: number) => [
    value >>> 24,
    (value >>> 16) & 0xff,
    (value >>> 8) & 0xff,
    value & 0xff,
  ];
  const u64 = (value: number) => [...u32(Math.floor(value / 2 ** 32)), ...u32(value >>> 0)];
  const box = (type: string, ...payload: number[][]): number[] => {
    const body = payload.flat();
    return [...u32(8 + body.length), ...[...type].map((c) => c.charCodeAt(0)), ...body];
  };
  const fullBox = (type: string, version: number, flags: number, ...payload: number[][]) =>
    box(type, [version, (flags >> 16) & 0xff, (flags >> 8) & 0xff, flags & 0xff], ...payload);
  const opusEntry = box(
    'Opus',
    new Array<number>(28).fill(0),
    box('dOps', new Array<number>(11).fill(0)),
  );
  const moov = box(
    'moov',
    fullBox('mvhd', 1, 0, u64(0), u64(0), u32(1000), u64(0), new Array<number>(80).fill(0)),
    box(
      'trak',
      fullBox('tkhd', 1, 3, u64(0), u64(0), u32(1), u32(0), u64(0), new Array<number>(52).fill(0)),
      box(
        'mdia',
        fullBox('mdhd', 1, 0, u64(0), u64(0), u32(48_000), u64(319), [0x55, 0xc4, 0, 0]),
        fullBox(
          'hdlr',
          0,
          0,
          u32(0),
          [...'soun'].map((c) => c.charCodeAt(0)),
          new Array<number>(13).fill(0),
        ),
        box('minf', box('stbl', fullBox('stsd', 0, 0, u32(1), opusEntry))),
      ),
    ),
    box('mvex', fullBox('trex', 0, 0, u32(1), u32(1), u32(0), u32(0), u32(0))),
  );
  const fragments: number[][] = [];
  let decodeTime = 0;
  for (let i = 0; i < 50; i++) {
    const durations = [2880, 2880, 2880, 2880, 1008];
    const samples = durations.flatMap((duration) => [...u32(duration), ...u32(100)]);
    fragments.push(
      box(
        'moof',
        fullBox('mfhd', 0, 0, u32(i + 1)),
        box(
          'traf',
          fullBox('tfhd', 0, 0x020020, u32(1), u32(0x02000000)),
          fullBox('tfdt', 1, 0, u64(decodeTime)),
          fullBox('trun', 0, 0x301, u32(durations.length), u32(0), samples),
        ),
      ),
      box('mdat', new Array<number>(500).fill(0)),
    );
    decodeTime += 5 * 2880;
  }
  const ftyp = box(
    'ftyp',
    [...'isom'].map((c) => c.charCodeAt(0)),
    u32(0x200),
  );
  const info = inspectAudio(new Uint8Array([...ftyp, ...moov, ...fragments.flat()]));
  // 250 packets of 60 ms: 15 s, less the last packet's placeholder shortfall (1872 units, 39 ms).
  assert.equal(info.codec, 'opus');
  assert.equal(info.durationMs, Math.round(((250 * 2880 - 1872) / 48_000) * 1000));
});

test('voice limits: 5 minutes and 10 MiB', async () => {
  const info = checkVoiceLimits(await load('61s.m4a'));
  assert.equal(info.codec, 'aac');
  await assert.rejects(
    async () => checkVoiceLimits(new Uint8Array(VOICE_MAX_BYTES + 1)),
    (e) =>
      e instanceof FileTooLargeError &&
      isHushError(e, 'FileTooLarge') &&
      e.limit === VOICE_MAX_BYTES &&
      e.size === VOICE_MAX_BYTES + 1,
  );
  // A 6-minute Ogg Opus file: the duration lives in the last page, so a tiny file says 6 minutes.
  const sixMinutes = join(dir, 'long.ogg');
  await run('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '360'],
    // The cheapest Opus settings: six minutes encode in half a second.
    ...['-c:a', 'libopus', '-b:a', '6k', '-frame_duration', '60', '-compression_level', '0'],
    sixMinutes,
  ]);
  const long = new Uint8Array(await readFile(sixMinutes));
  assert.ok(Math.abs(inspectAudio(long).durationMs - 360_000) <= 50);
  assert.throws(
    () => checkVoiceLimits(long),
    (e) =>
      e instanceof VoiceTooLongError &&
      isHushError(e, 'VoiceTooLong') &&
      e.limitMs === 5 * 60 * 1000 &&
      e.durationMs === inspectAudio(long).durationMs,
  );
  const file = inspectFile(long);
  assert.equal(file.kind, 'file');
  assert.equal(file.audio?.durationMs, inspectAudio(long).durationMs);
});

test('formats Hush does not take as voice are UnsupportedContent', async () => {
  const cases: [string, string[]][] = [
    ['vorbis.ogg', ['-c:a', 'libvorbis']],
    ['mp3.mp4', ['-c:a', 'libmp3lame', '-f', 'mp4']],
    ['flac.ogg', ['-c:a', 'flac', '-f', 'ogg']],
    [
      'video.webm',
      [
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=32x32:rate=5:duration=1',
        '-c:v',
        'libvpx',
        '-c:a',
        'libopus',
        '-shortest',
      ],
    ],
    [
      'video.mp4',
      [
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=32x32:rate=5:duration=1',
        '-c:v',
        'mpeg4',
        '-c:a',
        'aac',
        '-shortest',
      ],
    ],
  ];
  const made: string[] = [];
  await inPairs(
    cases.map(([name, args]) => async () => {
      try {
        await tone(join(dir, name), 1, args);
        made.push(name);
      } catch {
        // An encoder this ffmpeg build lacks: nothing to test for it.
      }
    }),
  );
  assert.ok(made.length >= 3, made.join());
  for (const name of made) {
    const bytes = await load(name);
    assert.throws(
      () => inspectAudio(bytes),
      (e) => isHushError(e, 'UnsupportedContent'),
      name,
    );
    assert.equal(inspectFile(bytes).kind, 'file', name);
  }
  if (made.includes('video.mp4'))
    assert.equal(inspectFile(await load('video.mp4')).mimeType, 'video/mp4');
  if (made.includes('video.webm'))
    assert.equal(inspectFile(await load('video.webm')).mimeType, 'video/webm');
  for (const bytes of [new Uint8Array(0), new TextEncoder().encode('hello'), new Uint8Array(100)]) {
    assert.throws(
      () => inspectAudio(bytes),
      (e) => isHushError(e, 'UnsupportedContent'),
    );
  }
});

test('inspectFile: voice, images, documents by their bytes', async () => {
  const voice = inspectFile(await load('3.2s.webm'));
  assert.equal(voice.kind, 'voice');
  assert.equal(voice.mimeType, 'audio/webm; codecs=opus');
  assert.ok(voice.audio && Math.abs(voice.audio.durationMs - 3200) <= 50);
  const images: [string, string[]][] = [
    ['i.png', []],
    ['i.jpg', []],
    ['i.gif', []],
    ['i.webp', ['-c:v', 'libwebp']],
  ];
  await inPairs(
    images.map(
      ([name, args]) =>
        () =>
          run('ffmpeg', [
            '-v',
            'error',
            '-y',
            '-f',
            'lavfi',
            '-i',
            'color=c=red:s=8x8',
            '-frames:v',
            '1',
            ...args,
            join(dir, name),
          ]),
    ),
  );
  const expected: Record<string, string> = {
    'i.png': 'image/png',
    'i.jpg': 'image/jpeg',
    'i.gif': 'image/gif',
    'i.webp': 'image/webp',
  };
  for (const [name, mimeType] of Object.entries(expected)) {
    assert.deepEqual(inspectFile(await load(name)), { kind: 'image', mimeType }, name);
  }
  const text = (value: string) => new TextEncoder().encode(value);
  assert.deepEqual(inspectFile(text('%PDF-1.7\n...')), {
    kind: 'file',
    mimeType: 'application/pdf',
  });
  assert.deepEqual(inspectFile(text('PK\x03\x04rest')), {
    kind: 'file',
    mimeType: 'application/zip',
  });
  assert.deepEqual(inspectFile(text('just some text')), {
    kind: 'file',
    mimeType: 'application/octet-stream',
  });
  const heic = new Uint8Array([0, 0, 0, 24, ...text('ftypheic'), 0, 0, 0, 0, ...text('mif1heic')]);
  assert.deepEqual(inspectFile(heic), { kind: 'image', mimeType: 'image/heic' });
});
