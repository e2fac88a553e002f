// Opus remuxed into CAF, checked with tools that are not ours: ffprobe must read the CAF as Opus of
// the right length, and ffmpeg must decode from it exactly the samples it decodes from the original
// (the same packets decode to the same PCM, bit for bit). Recordings are made by ffmpeg in every
// container Hush receives Opus in, at several lengths, mono and stereo, sine and speech.
//
// One quirk of the referee: FFmpeg's CAF demuxer does not apply mPrimingFrames or mRemainderFrames
// (libavformat/cafdec.c, read_pakt_chunk adds them into nb_frames and decodes every packet whole),
// so its PCM from our CAF is the original's with the pre-skip in front and the end padding behind.
// Apple's decoder trims both; the tests check the pakt fields against what ffmpeg trims from the
// original instead. Hostile input for the remuxer is in fuzz.test.ts, with the parsers'.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isHushError } from '../errors.ts';
import { readOpusTrack, writeOpusCaf } from './caf.ts';
import { CAF_MIME_TYPE, inspectFile, opusToCaf } from './index.ts';
import { opusPacketSamples, OpusPacketList } from './opus.ts';

const run = promisify(execFile);
let dir: string;
let haveSpeech = false;

const OPUS = ['-c:a', 'libopus', '-b:a', '16k'];
interface Format {
  readonly ext: string;
  readonly args: readonly string[];
  /** Whether ffmpeg, decoding the original, drops the end padding our pakt declares. */
  readonly ffmpegTrimsEnd: boolean;
}
const FORMATS: readonly Format[] = [
  { ext: 'ogg', args: OPUS, ffmpegTrimsEnd: true },
  { ext: 'webm', args: OPUS, ffmpegTrimsEnd: true },
  // As MediaRecorder writes WebM: unknown sizes, no Duration, no Cues.
  { ext: 'live.webm', args: [...OPUS, '-live', '1', '-f', 'webm'], ffmpegTrimsEnd: true },
  // FFmpeg 5.1 applies the edit list's start but not its end to Opus in MP4.
  { ext: 'mp4', args: [...OPUS, '-f', 'mp4'], ffmpegTrimsEnd: false },
  // As MediaRecorder writes MP4: fragments, no edit list, so no end padding is declared.
  {
    ext: 'frag.mp4',
    args: [...OPUS, '-movflags', 'frag_keyframe+empty_moov', '-f', 'mp4'],
    ffmpegTrimsEnd: true,
  },
];

interface Sample {
  readonly name: string;
  readonly seconds: number;
  readonly channels: number;
  readonly format: Format;
}
const SAMPLES: Sample[] = [
  ...[1, 3.2, 61].flatMap((seconds) =>
    FORMATS.map((format) => ({ name: `${seconds}s.${format.ext}`, seconds, channels: 1, format })),
  ),
  ...FORMATS.map((format) => ({
    name: `stereo.${format.ext}`,
    seconds: 3.2,
    channels: 2,
    format,
  })),
];

const ffmpeg = (...args: string[]) => run('ffmpeg', ['-v', 'error', '-y', ...args]);

async function decode(file: string): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 's16le', '-'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

interface Probe {
  codec_name: string;
  channels: number;
  sample_rate: string;
  duration: string;
  duration_ts: number;
  nb_frames: string;
}

async function probe(file: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-of', 'json', '-show_entries'],
    'stream=codec_name,channels,sample_rate,duration,duration_ts,nb_frames',
    file,
  ]);
  const streams = (JSON.parse(stdout) as { streams: Probe[] }).streams;
  assert.equal(streams.length, 1, file);
  return streams[0] as Probe;
}

/** Runs `jobs` two at a time (the machines have two cores). */
async function inPairs(jobs: (() => Promise<unknown>)[]): Promise<void> {
  const queue = [...jobs];
  await Promise.all(
    [0, 1].map(async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await job();
    }),
  );
}

// A CAF reader just big enough to look at what we wrote (and what ffmpeg writes).
interface Chunk {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

function cafChunks(bytes: Uint8Array): Chunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  assert.equal(Buffer.from(bytes.subarray(0, 4)).toString('latin1'), 'caff');
  assert.equal(view.getUint16(4), 1);
  const chunks: Chunk[] = [];
  for (let at = 8; at < bytes.length;) {
    const type = Buffer.from(bytes.subarray(at, at + 4)).toString('latin1');
    const size = Number(view.getBigInt64(at + 4));
    const start = at + 12;
    // ffmpeg leaves a data chunk of size -1 (unknown) only when it cannot seek back.
    const end = size < 0 ? bytes.length : start + size;
    assert.ok(end <= bytes.length, `${type} chunk past the end`);
    chunks.push({ type, start, end });
    at = end;
  }
  return chunks;
}

function chunk(bytes: Uint8Array, type: string): Chunk {
  const found = cafChunks(bytes).find((c) => c.type === type);
  assert.ok(found, `no ${type} chunk`);
  return found;
}

interface Desc {
  sampleRate: number;
  formatId: string;
  formatFlags: number;
  bytesPerPacket: number;
  framesPerPacket: number;
  channels: number;
  bitsPerChannel: number;
}

function readDesc(bytes: Uint8Array): Desc {
  const { start } = chunk(bytes, 'desc');
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, 32);
  return {
    sampleRate: view.getFloat64(0),
    formatId: Buffer.from(bytes.subarray(start + 8, start + 12)).toString('latin1'),
    formatFlags: view.getUint32(12),
    bytesPerPacket: view.getUint32(16),
    framesPerPacket: view.getUint32(20),
    channels: view.getUint32(24),
    bitsPerChannel: view.getUint32(28),
  };
}

interface Pakt {
  packets: number;
  validFrames: number;
  primingFrames: number;
  remainderFrames: number;
  /** The raw variable-length table. */
  table: Uint8Array;
  sizes: number[];
  frames: number[];
}

function readPakt(bytes: Uint8Array, framesVary: boolean): Pakt {
  const { start, end } = chunk(bytes, 'pakt');
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, 24);
  const table = bytes.subarray(start + 24, end);
  const values: number[] = [];
  let value = 0;
  for (const byte of table) {
    value = value * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    values.push(value);
    value = 0;
  }
  const packets = Number(view.getBigInt64(0));
  const sizes = framesVary ? values.filter((_, i) => i % 2 === 0) : values;
  const frames = framesVary ? values.filter((_, i) => i % 2 === 1) : [];
  assert.equal(sizes.length, packets);
  return {
    packets,
    validFrames: Number(view.getBigInt64(8)),
    primingFrames: view.getInt32(16),
    remainderFrames: view.getInt32(20),
    table,
    sizes,
    frames,
  };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hush-caf-'));
  const jobs: (() => Promise<unknown>)[] = SAMPLES.map(
    ({ name, seconds, channels, format }) =>
      () =>
        ffmpeg(
          '-f',
          'lavfi',
          '-i',
          channels === 1
            ? `sine=frequency=440:duration=${seconds}`
            : `aevalsrc=sin(440*2*PI*t)|0.5*sin(660*2*PI*t):s=48000:d=${seconds}`,
          ...format.args,
          join(dir, name),
        ),
  );
  // 40 and 60 ms CELT frames, which libopus packs as code 1/2 and code 3 packets.
  for (const ms of [40, 60]) {
    jobs.push(() =>
      ffmpeg(
        ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=3.2'],
        ...['-c:a', 'libopus', '-application', 'audio', '-b:a', '64k'],
        ...['-frame_duration', String(ms), join(dir, `${ms}ms.ogg`)],
      ),
    );
  }
  jobs.push(() =>
    ffmpeg('-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', join(dir, 'aac.m4a')),
  );
  await inPairs(jobs);
  try {
    const wav = join(dir, 'speech.wav');
    await run('espeak-ng', ['-w', wav, 'This is a Hush voice message, recorded on the web.']);
    await inPairs(
      ['ogg', 'live.webm', 'frag.mp4'].map((ext) => () => {
        const format = FORMATS.find((f) => f.ext === ext);
        return ffmpeg('-i', wav, ...(format?.args ?? []), join(dir, `speech.${ext}`));
      }),
    );
    haveSpeech = true;
  } catch {
    // No espeak-ng here: the sine recordings still cover every container.
  }
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const load = async (name: string) => new Uint8Array(await readFile(join(dir, name)));

/** Remuxes `name`, writes it beside it, and checks it against the original with ffprobe/ffmpeg. */
async function checkRemux(name: string, channels: number, ffmpegTrimsEnd: boolean) {
  const original = join(dir, name);
  const caf = opusToCaf(await load(name));
  const cafFile = `${original}.caf`;
  await writeFile(cafFile, caf);

  const desc = readDesc(caf);
  assert.deepEqual(
    { ...desc, framesPerPacket: 0 },
    {
      sampleRate: 48_000,
      formatId: 'opus',
      formatFlags: 0,
      bytesPerPacket: 0,
      framesPerPacket: 0,
      channels,
      bitsPerChannel: 0,
    },
    name,
  );
  const pakt = readPakt(caf, desc.framesPerPacket === 0);
  const total = pakt.validFrames + pakt.primingFrames + pakt.remainderFrames;
  assert.deepEqual(
    cafChunks(caf).map((c) => c.type),
    ['desc', 'chan', 'pakt', 'data'],
  );
  const data = chunk(caf, 'data');
  assert.equal(
    pakt.sizes.reduce((sum, size) => sum + size, 0),
    data.end - data.start - 4,
    `${name}: packet sizes add up to the data chunk`,
  );

  const info = await probe(cafFile);
  assert.equal(info.codec_name, 'opus', name);
  assert.equal(info.channels, channels, name);
  assert.equal(info.sample_rate, '48000', name);
  // ffprobe sums the packet table's frames (duration_ts) and the header's three counts (nb_frames):
  // both must be the packets' own length, from their TOC bytes.
  assert.equal(info.duration_ts, total, `${name}: packet table vs header`);
  assert.equal(Number(info.nb_frames), total, name);

  const [fromOriginal, fromCaf] = await Promise.all([decode(original), decode(cafFile)]);
  const bytesPerFrame = 2 * channels;
  assert.equal(fromCaf.length, total * bytesPerFrame, `${name}: ffmpeg decodes every packet`);
  const skipped = pakt.primingFrames * bytesPerFrame;
  assert.ok(
    fromCaf.subarray(skipped, skipped + fromOriginal.length).equals(fromOriginal),
    `${name}: the same PCM as from the original`,
  );
  if (ffmpegTrimsEnd) {
    assert.equal(pakt.validFrames * bytesPerFrame, fromOriginal.length, `${name}: valid frames`);
  } else {
    assert.equal(
      (pakt.validFrames + pakt.remainderFrames) * bytesPerFrame,
      fromOriginal.length,
      `${name}: valid and remainder frames`,
    );
  }
  return { caf, desc, pakt, info, cafFile };
}

test('Opus in Ogg, WebM and MP4, 1 to 61 s, mono and stereo: ffprobe and ffmpeg agree', async () => {
  await inPairs(
    SAMPLES.map((sample) => async () => {
      const { desc, pakt, info } = await checkRemux(
        sample.name,
        sample.channels,
        sample.format.ffmpegTrimsEnd,
      );
      // libopus's default 20 ms packets, its 312-sample look-ahead as pre-skip.
      assert.equal(desc.framesPerPacket, 960, sample.name);
      assert.equal(pakt.primingFrames, 312, sample.name);
      const expected = sample.seconds * 48_000;
      if (sample.format.ext === 'frag.mp4') {
        // No edit list: the padding after the last sample cannot be known, so it is played.
        assert.ok(pakt.validFrames - expected >= 0 && pakt.validFrames - expected < 960);
      } else {
        // The MP4 edit list counts in milliseconds: one millisecond is 48 samples.
        assert.ok(
          Math.abs(pakt.validFrames - expected) <= 48,
          `${sample.name}: ${pakt.validFrames}`,
        );
      }
      // ffprobe's duration is the packets' total (see the header): within 30 ms of the recording
      // with 20 ms packets, being pre-skip (6.5 ms) plus less than one packet of padding.
      const seconds = Number(info.duration);
      assert.ok(Math.abs(seconds - sample.seconds) <= 0.03, `${sample.name}: ${seconds} s`);
    }),
  );
});

test('speech from espeak-ng through Ogg, MediaRecorder-style WebM and fragmented MP4', async (t) => {
  if (!haveSpeech) {
    t.skip('espeak-ng is not installed');
    return;
  }
  for (const ext of ['ogg', 'live.webm', 'frag.mp4']) {
    const { info } = await checkRemux(`speech.${ext}`, 1, true);
    const wav = await probe(join(dir, 'speech.wav'));
    assert.ok(Math.abs(Number(info.duration) - Number(wav.duration)) <= 0.03, ext);
  }
});

test('40 and 60 ms packets: TOC codes 1, 2 and 3 give their real durations', async () => {
  for (const [ms, codes] of [
    [40, [1, 2]],
    [60, [3]],
  ] as const) {
    const { caf, desc, pakt } = await checkRemux(`${ms}ms.ogg`, 1, true);
    assert.equal(desc.framesPerPacket, ms * 48, `${ms} ms`);
    const data = chunk(caf, 'data');
    const seen = new Set<number>();
    let at = data.start + 4;
    for (const size of pakt.sizes) {
      seen.add((caf[at] ?? 0) & 0x03);
      at += size;
    }
    for (const code of codes) assert.ok(seen.has(code), `${ms} ms: code ${code} in ${[...seen]}`);
  }
});

test('packets of different lengths: frames per packet 0 and a frame count for each', async () => {
  // 20 ms packets, then 60 ms ones: one stream whose packet lengths change, as a recorder adapting
  // to a network would write. The second part's decoder state differs, so only its length is
  // compared; the first part decodes exactly as before.
  const twenty = readOpusTrack(await load('3.2s.ogg'));
  const sixty = readOpusTrack(await load('60ms.ogg'));
  const list = new OpusPacketList(twenty.data.length + sixty.data.length);
  for (const track of [twenty, sixty]) {
    let at = 0;
    for (const size of track.packetSizes) {
      list.add(track.data, at, at + size);
      at += size;
    }
  }
  const mixed = writeOpusCaf(list.finish({ channels: 1, preSkip: twenty.preSkip }, 0));
  const file = join(dir, 'mixed.caf');
  await writeFile(file, mixed);
  const desc = readDesc(mixed);
  assert.equal(desc.framesPerPacket, 0);
  const pakt = readPakt(mixed, true);
  assert.deepEqual(pakt.frames, [...twenty.packetSamples, ...sixty.packetSamples]);
  const total = twenty.totalSamples + sixty.totalSamples;
  assert.equal(pakt.validFrames + pakt.primingFrames + pakt.remainderFrames, total);

  const info = await probe(file);
  assert.equal(info.codec_name, 'opus');
  assert.equal(info.duration_ts, total);
  const pcm = await decode(file);
  assert.equal(pcm.length, total * 2);
  const alone = await decode(join(dir, '3.2s.ogg.caf'));
  assert.ok(pcm.subarray(0, alone.length).equals(alone));
});

test("beside ffmpeg's own CAF muxer: same desc, packet table and data", async (t) => {
  const name = '3.2s.ogg';
  const ours = opusToCaf(await load(name));
  const theirsFile = join(dir, 'ffmpeg.caf');
  await ffmpeg('-i', join(dir, name), '-c:a', 'copy', theirsFile);
  const theirs = new Uint8Array(await readFile(theirsFile));
  const theirChunks = cafChunks(theirs).map((c) => c.type);
  t.diagnostic(`ffmpeg writes ${theirChunks.join(', ')}; we write desc, chan, pakt, data`);
  for (const type of ['desc', 'chan', 'pakt', 'data']) assert.ok(theirChunks.includes(type), type);
  assert.ok(!theirChunks.includes('kuki'), 'ffmpeg writes no magic cookie for Opus either');

  const ourDesc = readDesc(ours);
  const theirDesc = readDesc(theirs);
  t.diagnostic(
    `mFramesPerPacket: ffmpeg ${theirDesc.framesPerPacket}, ours ${ourDesc.framesPerPacket}`,
  );
  assert.deepEqual({ ...theirDesc, framesPerPacket: 0 }, { ...ourDesc, framesPerPacket: 0 });
  const bytesOf = (caf: Uint8Array, type: string) => {
    const c = chunk(caf, type);
    return Buffer.from(caf.subarray(c.start, c.end));
  };
  assert.ok(bytesOf(ours, 'chan').equals(bytesOf(theirs, 'chan')));
  assert.ok(bytesOf(ours, 'data').equals(bytesOf(theirs, 'data')), 'the same packets');
  const ourPakt = readPakt(ours, false);
  const theirPakt = readPakt(theirs, theirDesc.framesPerPacket === 0);
  assert.equal(ourPakt.packets, theirPakt.packets);
  assert.deepEqual(ourPakt.sizes, theirPakt.sizes);
  t.diagnostic(
    `pakt valid/priming/remainder: ffmpeg ${theirPakt.validFrames}/${theirPakt.primingFrames}/` +
      `${theirPakt.remainderFrames}, ours ${ourPakt.validFrames}/${ourPakt.primingFrames}/` +
      `${ourPakt.remainderFrames}`,
  );
});

test('AAC in M4A is not remuxed: Apple plays it as it is', async () => {
  const aac = await load('aac.m4a');
  const info = inspectFile(aac);
  assert.equal(info.mimeType, 'audio/mp4');
  assert.ok(!info.mimeType.includes('opus'));
  assert.throws(
    () => opusToCaf(aac),
    (e) => isHushError(e, 'UnsupportedContent') && /aac/.test(e.message),
  );
  assert.equal(CAF_MIME_TYPE, 'audio/x-caf');
});

test('garbage and truncated files: UnsupportedContent, never a crash', async () => {
  const garbage = [
    new Uint8Array(0),
    new TextEncoder().encode('hello'),
    new Uint8Array(100),
    new TextEncoder().encode('OggS'),
    new TextEncoder().encode('caff'),
  ];
  for (const bytes of garbage) {
    assert.throws(
      () => opusToCaf(bytes),
      (e) => isHushError(e, 'UnsupportedContent'),
    );
  }
  assert.throws(
    () => opusToCaf('OggS' as unknown as Uint8Array),
    (e) => isHushError(e, 'UnsupportedContent'),
  );
  for (const name of ['3.2s.ogg', '3.2s.webm', '3.2s.live.webm', '3.2s.mp4', '3.2s.frag.mp4']) {
    const bytes = await load(name);
    // Cut inside the last packet, in the middle, and inside the headers.
    for (const length of [bytes.length - 1, Math.floor(bytes.length / 2), 40]) {
      assert.throws(
        () => opusToCaf(bytes.subarray(0, length)),
        (e) => isHushError(e, 'UnsupportedContent'),
        `${name} cut to ${length} bytes`,
      );
    }
  }
});

test('TOC byte (RFC 6716 §3.1): every configuration and frame-count code', () => {
  const samples = (...packet: number[]) =>
    opusPacketSamples(new Uint8Array(packet), 0, packet.length);
  // Configurations 0-3: SILK 10, 20, 40, 60 ms; 16-19: CELT 2.5, 5, 10, 20 ms; 12-13: hybrid.
  assert.deepEqual(
    [0, 1, 2, 3].map((config) => samples(config << 3, 0)),
    [480, 960, 1920, 2880],
  );
  assert.deepEqual(
    [16, 17, 18, 19].map((config) => samples(config << 3, 0)),
    [120, 240, 480, 960],
  );
  assert.deepEqual(
    [12, 13].map((config) => samples(config << 3, 0)),
    [480, 960],
  );
  // Code 1 and 2: two frames; code 3: the count in the next byte's low six bits.
  assert.equal(samples((19 << 3) | 1, 0, 0), 1920);
  assert.equal(samples((19 << 3) | 2, 1, 0, 0), 1920);
  assert.equal(samples((16 << 3) | 3, 48), 120 * 48);
  assert.equal(samples((19 << 3) | 3, 0x80 | 6), 5760);
  // Malformed: empty, a code 3 packet without its count or with none, over 120 ms (two 60 ms
  // frames are exactly the limit).
  assert.equal(samples(), undefined);
  assert.equal(samples((19 << 3) | 3), undefined);
  assert.equal(samples((19 << 3) | 3, 0), undefined);
  assert.equal(samples((19 << 3) | 3, 7), undefined);
  assert.equal(samples((3 << 3) | 1, 0), 5760);
  assert.equal(samples((3 << 3) | 3, 3), undefined);
});
