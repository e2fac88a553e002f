// Hostile input for every container parser and for the Opus-to-CAF remuxer: mutated real
// recordings, random bytes behind each magic number, and large pathological files. The only
// acceptable failure is a HushError that did not come from a parser bug (readContainer and
// readOpusTrack wrap any other exception, keeping it as the cause), and every call must finish
// quickly. A CAF that does come out must hold together.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { HushError } from '../errors.ts';
import { checkVoiceLimits, inspectAudio, inspectFile, opusToCaf } from './index.ts';
import { tone } from '@hush/test-utils';

let dir: string;
const samples = new Map<string, Uint8Array>();
const ENCODINGS: Record<string, string[]> = {
  'a.m4a': ['-c:a', 'aac'],
  'o.mp4': ['-c:a', 'libopus', '-f', 'mp4'],
  'o.ogg': ['-c:a', 'libopus'],
  'o.webm': ['-c:a', 'libopus'],
  'fa.mp4': ['-c:a', 'aac', '-movflags', 'frag_keyframe+empty_moov', '-f', 'mp4'],
  'fo.mp4': ['-c:a', 'libopus', '-movflags', 'frag_keyframe+empty_moov', '-f', 'mp4'],
  'lo.webm': ['-c:a', 'libopus', '-live', '1', '-f', 'webm'],
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hush-voice-fuzz-'));
  await Promise.all(
    Object.entries(ENCODINGS).map(async ([name, args]) => {
      samples.set(name, await tone(join(dir, name), 0.5, ['-ac', '1', ...args]));
    }),
  );
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

let slowest = 0;

/** Passes a clean refusal; rethrows anything else. */
function refusedCleanly(error: unknown): void {
  if (!(error instanceof HushError)) throw error;
  // A wrapped non-HushError is a parser bug (a RangeError, a TypeError) that slipped through.
  if (error.cause instanceof Error && !(error.cause instanceof HushError)) throw error.cause;
}

/** Chunks that end exactly at the end, 'data' last, and packet sizes in 'pakt' that fill it. */
function assertCafHoldsTogether(caf: Uint8Array): void {
  const view = new DataView(caf.buffer, caf.byteOffset, caf.length);
  assert.equal(String.fromCharCode(...caf.subarray(0, 4)), 'caff');
  const chunks = new Map<string, { start: number; end: number }>();
  for (let at = 8; at < caf.length;) {
    const type = String.fromCharCode(...caf.subarray(at, at + 4));
    const end = at + 12 + Number(view.getBigUint64(at + 4));
    assert.ok(end <= caf.length, `${type} past the end`);
    chunks.set(type, { start: at + 12, end });
    at = end;
  }
  const pakt = chunks.get('pakt');
  const data = chunks.get('data');
  assert.ok(pakt && data && data.end === caf.length);
  // desc starts at 20; mFramesPerPacket 0 means a frame count follows each packet size.
  const framesVary = view.getUint32(20 + 20) === 0;
  let values = 0;
  let sizes = 0;
  let value = 0;
  for (let i = pakt.start + 24; i < pakt.end; i++) {
    const byte = caf[i] ?? 0;
    value = value * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    if (!framesVary || values % 2 === 0) sizes += value;
    values++;
    value = 0;
  }
  assert.equal(sizes, data.end - data.start - 4);
  assert.equal(Number(view.getBigUint64(pakt.start)), framesVary ? values / 2 : values);
}

/** Runs every public entry point on `bytes`; fails on anything but a clean result or clean refusal. */
function survives(bytes: Uint8Array): void {
  const started = performance.now();
  for (const inspect of [inspectAudio, checkVoiceLimits]) {
    try {
      const info = inspect(bytes);
      assert.ok(
        Number.isFinite(info.durationMs) && info.durationMs >= 0,
        `duration ${info.durationMs}`,
      );
    } catch (error) {
      refusedCleanly(error);
    }
  }
  const file = inspectFile(bytes);
  assert.ok(['voice', 'image', 'file'].includes(file.kind));
  try {
    assertCafHoldsTogether(opusToCaf(bytes));
  } catch (error) {
    refusedCleanly(error);
  }
  const elapsed = performance.now() - started;
  slowest = Math.max(slowest, elapsed);
  // A bound against runaway work (a loop a crafted size could make endless), not a speed
  // measurement: a call takes ~1 ms, and the bound leaves room for a loaded 2-core machine.
  assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);
}

type Mutation =
  | { kind: 'set'; at: number; value: number }
  | { kind: 'size'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
  }),
  // Size and count fields are where parsers trust input: write extreme 32-bit values over them.
  fc.record({
    kind: fc.constant('size' as const),
    at: fc.nat(),
    value: fc.constantFrom(0, 1, 7, 8, 9, 16, 0x7fffffff, 0x80000000, 0xffffffff, 0x01ffffff),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ maxLength: 16 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 64 }),
  }),
);

function mutate(original: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = original.slice();
  for (const change of mutations) {
    const at = bytes.length === 0 ? 0 : change.at % bytes.length;
    switch (change.kind) {
      case 'set':
        if (bytes.length > 0) bytes[at] = change.value;
        break;
      case 'size':
        if (bytes.length >= 4) {
          new DataView(bytes.buffer).setUint32(Math.min(at, bytes.length - 4), change.value);
        }
        break;
      case 'truncate':
        bytes = bytes.slice(0, at);
        break;
      case 'insert':
        bytes = new Uint8Array([...bytes.subarray(0, at), ...change.bytes, ...bytes.subarray(at)]);
        break;
      case 'delete':
        bytes = new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + change.length)]);
        break;
    }
  }
  return bytes;
}

test('mutated real recordings: a result or a clean UnsupportedContent, quickly', (t) => {
  assert.equal(samples.size, Object.keys(ENCODINGS).length);
  for (const [name, sample] of samples) {
    survives(sample);
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
        survives(mutate(sample, mutations));
      }),
      { numRuns: 400, seed: name.length * 7919 },
    );
  }
  t.diagnostic(`slowest call: ${slowest.toFixed(1)} ms`);
});

test('random bytes, alone and behind every magic number', () => {
  const text = (value: string) => [...value].map((c) => c.charCodeAt(0));
  const prefixes = [
    [],
    text('OggS'),
    [...text('OggS'), 0, 2, ...new Array<number>(21).fill(0), 1, 19, ...text('OpusHead')],
    [0, 0, 0, 16, ...text('ftypM4A ')],
    [0, 0, 0, 8, ...text('ftyp'), 0, 0, 0, 8, ...text('moov')],
    [0x1a, 0x45, 0xdf, 0xa3],
    [0x1a, 0x45, 0xdf, 0xa3, 0x87, 0x42, 0x82, 0x84, ...text('webm')],
    [
      0x1a,
      0x45,
      0xdf,
      0xa3,
      0x87,
      0x42,
      0x82,
      0x84,
      ...text('webm'),
      0x18,
      0x53,
      0x80,
      0x67,
      0x01,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
    ],
    text('RIFF\0\0\0\0WEBP'),
    [0x89, ...text('PNG')],
  ];
  fc.assert(
    fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 600 }), (prefix, tail) => {
      survives(new Uint8Array([...prefix, ...tail]));
    }),
    { numRuns: 3000, seed: 42 },
  );
});

test('pathological files of several MB finish in bounded time', () => {
  const MB = 1024 * 1024;
  const fill = (size: number, unit: number[]) => {
    const bytes = new Uint8Array(size);
    for (let i = 0; i + unit.length <= size; i += unit.length) bytes.set(unit, i);
    return bytes;
  };
  const ascii = (value: string) => [...value].map((c) => c.charCodeAt(0));
  const cases: Uint8Array[] = [];

  // Ogg: a valid OpusHead page, then 8 MB of page headers of the same stream with bad CRCs.
  const page = [
    ...ascii('OggS'),
    0,
    0,
    0x10,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    9,
    9,
    9,
    9,
    0,
  ];
  const ogg = fill(8 * MB, page);
  ogg.set([
    ...ascii('OggS'),
    0,
    2,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    19,
    ...ascii('OpusHead'),
    1,
    1,
    0,
    0,
  ]);
  cases.push(ogg);

  // MP4: a moov of a million empty boxes, and a trun claiming 2^32-1 samples it does not hold.
  const mp4 = fill(8 * MB, [0, 0, 0, 8, ...ascii('free')]);
  mp4.set([0, 0, 0, 16, ...ascii('ftypisom'), 0, 0, 0, 0]);
  mp4.set([0, 0x7f, 0xff, 0xf0, ...ascii('moov')], 16);
  cases.push(mp4);
  const trun = new Uint8Array([
    ...[0, 0, 0, 16, ...ascii('ftypisom'), 0, 0, 0, 0],
    ...[0, 0, 0, 8, ...ascii('moov')],
    ...[0, 0, 0, 40, ...ascii('moof'), 0, 0, 0, 32, ...ascii('traf')],
    ...[0, 0, 0, 24, ...ascii('trun'), 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 1],
  ]);
  cases.push(trun);

  // WebM: unknown-size Segment and Cluster holding a million tiny SimpleBlocks.
  const webm = fill(7 * 1_200_000, [0xa3, 0x85, 0x81, 0x00, 0x01, 0x80, 0xfc]);
  webm.set([
    ...[0x1a, 0x45, 0xdf, 0xa3, 0x87, 0x42, 0x82, 0x84, ...ascii('webm')],
    ...[0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ...[0x16, 0x54, 0xae, 0x6b, 0x90, 0xae, 0x8e, 0xd7, 0x81, 0x01, 0x83, 0x81, 0x02],
    ...[0x86, 0x86, ...ascii('A_OPUS')],
    ...[0x1f, 0x43, 0xb6, 0x75, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xe7, 0x81, 0x00],
    // A Void element, so that the blocks filling the rest line up after these 63 bytes.
    ...[0xec, 0x81, 0x00],
  ]);
  cases.push(webm);
  // Nested size claims far beyond the file.
  cases.push(
    new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0]),
  );

  // MP4: an Opus track whose sample table points a million one-byte samples at the same byte.
  // The chunk offsets (all zero) end the file, so every box around them counts them as `zeros`.
  const u32 = (value: number) => [
    value >>> 24,
    (value >>> 16) & 0xff,
    (value >>> 8) & 0xff,
    value & 0xff,
  ];
  const box = (type: string, payload: number[][], zeros = 0): number[] => {
    const body = payload.flat();
    return [...u32(8 + body.length + zeros), ...ascii(type), ...body];
  };
  const samples = 1_000_000;
  const zeros = 4 * samples;
  const dOps = box('dOps', [[0, 1, 1, 0x38, 0, 0, 0xbb, 0x80, 0, 0, 0]]);
  const stbl = box(
    'stbl',
    [
      box('stsd', [u32(0), u32(1), box('Opus', [new Array<number>(28).fill(0), dOps])]),
      box('stsz', [u32(0), u32(1), u32(samples)]),
      box('stsc', [u32(0), u32(1), u32(1), u32(1), u32(1)]),
      box('stco', [u32(0), u32(samples)], zeros),
    ],
    zeros,
  );
  const hdlr = box('hdlr', [u32(0), u32(0), ascii('soun'), new Array<number>(12).fill(0)]);
  const moov = box(
    'moov',
    [box('trak', [box('mdia', [hdlr, box('minf', [stbl], zeros)], zeros)], zeros)],
    zeros,
  );
  const header = [...box('ftyp', [ascii('isom'), u32(0)]), ...moov];
  const opusTable = new Uint8Array(header.length + zeros);
  opusTable.set(header);
  cases.push(opusTable);

  for (const bytes of cases) {
    let started = performance.now();
    try {
      inspectAudio(bytes);
    } catch (error) {
      if (!(error instanceof HushError)) throw error;
      if (error.cause instanceof Error) throw error.cause;
    }
    inspectFile(bytes);
    let elapsed = performance.now() - started;
    // Bounds against runaway work, with room for a loaded machine (benchmarks time these).
    assert.ok(elapsed < 10_000, `${elapsed.toFixed(0)} ms`);
    // The WebM case remuxes 1.2 million packets, the MP4 one a million.
    started = performance.now();
    try {
      assertCafHoldsTogether(opusToCaf(bytes));
    } catch (error) {
      refusedCleanly(error);
    }
    elapsed = performance.now() - started;
    assert.ok(elapsed < 10_000, `remux: ${elapsed.toFixed(0)} ms`);
  }
});
