// ISO Base Media File Format (ISO/IEC 14496-12; MP4 and M4A) — https://mp4ra.org/ ; Opus in MP4 —
// https://opus-codec.org/docs/opus_in_isobmff.html ; AAC in MP4 (esds) — ISO/IEC 14496-14.
//
// Reads codec and duration from the box structure without decoding. Duration, best source first:
// - plain files: mvhd (the presentation length after edit lists, so AAC's priming samples are not
//   counted), else the audio track's mdhd;
// - fragmented files (Chromium's MediaRecorder writes them with an empty moov and no duration):
//   mehd when present, else the audio track's sample durations summed over every moof/traf/trun
//   (per sample or from the tfhd/trex defaults), each fragment placed at its tfdt decode time.
// Box sizes are untrusted: a box claiming more than its parent holds is clamped to the parent, and no
// loop runs more often than the bytes it walks allow.
import { ascii, malformed, toMilliseconds, u16be, u32be, u64be, u8 } from './byte-reader.ts';
import { checkedHead, OPUS_RATE, OpusPacketList, type OpusTrack } from './opus.ts';
import type { AudioCodec, ContainerAudio } from './types.ts';

/** Box types as big-endian 32-bit numbers: walking a million boxes builds no strings. */
function fourcc(text: string): number {
  return [...text].reduce((value, char) => value * 256 + char.charCodeAt(0), 0);
}

function fourccText(type: number): string {
  return String.fromCharCode(type >>> 24, (type >>> 16) & 0xff, (type >>> 8) & 0xff, type & 0xff);
}

// prettier-ignore
const BOX_NAMES = [
  'ftyp', 'moov', 'moof', 'trak', 'tkhd', 'mdia', 'hdlr', 'mdhd', 'minf', 'stbl', 'stsd',
  'esds', 'mp4a', 'Opus', 'traf', 'tfhd', 'tfdt', 'trun', 'mvhd', 'mvex', 'mehd', 'trex',
  'dOps', 'stsz', 'stsc', 'stco', 'co64', 'edts', 'elst',
] as const;
const BOX = Object.fromEntries(BOX_NAMES.map((name) => [name, fourcc(name)])) as Record<
  (typeof BOX_NAMES)[number],
  number
>;

interface Box {
  readonly type: number;
  /** First byte of the box header. */
  readonly at: number;
  /** First byte of the payload. */
  readonly start: number;
  /** One past the last byte, clamped to the parent. */
  readonly end: number;
  /** Its size claims more than the parent holds (clamped for parsing, refused for remuxing). */
  readonly truncated: boolean;
}

export function isMp4(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && u32be(bytes, 4) === BOX.ftyp;
}

/** The ftyp box's major brand, e.g. 'M4A ', 'isom', 'heic'. */
export function mp4MajorBrand(bytes: Uint8Array): string {
  return ascii(bytes, 8, 4);
}

/** The boxes in [start, end); with `only`, just those of these types (a million others cost less). */
function children(bytes: Uint8Array, start: number, end: number, only?: readonly number[]): Box[] {
  const boxes: Box[] = [];
  let offset = start;
  while (offset + 8 <= end) {
    let size = u32be(bytes, offset);
    const type = u32be(bytes, offset + 4);
    let header = 8;
    if (size === 1) {
      size = u64be(bytes, offset + 8);
      header = 16;
    } else if (size === 0) {
      size = end - offset;
    }
    if (size < header) throw malformed(`MP4 box '${fourccText(type)}' smaller than its header`);
    const boxEnd = Math.min(offset + size, end);
    if (only && !only.includes(type)) {
      offset = boxEnd;
      continue;
    }
    boxes.push({
      type,
      at: offset,
      start: Math.min(offset + header, boxEnd),
      end: boxEnd,
      truncated: offset + size > end,
    });
    offset = boxEnd;
  }
  return boxes;
}

function child(bytes: Uint8Array, parent: Box | undefined, type: number): Box | undefined {
  return parent
    ? children(bytes, parent.start, parent.end).find((box) => box.type === type)
    : undefined;
}

function path(bytes: Uint8Array, parent: Box | undefined, ...types: number[]): Box | undefined {
  let box = parent;
  for (const type of types) box = child(bytes, box, type);
  return box;
}

/** mvhd and mdhd share a layout: version 0 with 32-bit times, version 1 with 64-bit ones. */
function readHeaderDuration(bytes: Uint8Array, box: Box | undefined) {
  if (!box) return undefined;
  const version = u8(bytes, box.start);
  const timescale = u32be(bytes, box.start + (version === 1 ? 20 : 12));
  const duration = version === 1 ? u64be(bytes, box.start + 24) : u32be(bytes, box.start + 16);
  // All ones is the standard's "unknown"; zero is what an empty moov carries.
  const unknown = version === 1 ? duration >= 2 ** 64 - 1 : duration === 0xffffffff;
  return { timescale, duration: unknown ? 0 : duration };
}

interface Track {
  readonly id: number;
  readonly handler: string;
  readonly sampleEntry: Box | undefined;
  readonly timescale: number;
  readonly duration: number;
}

function readTrack(bytes: Uint8Array, trak: Box): Track {
  const tkhd = child(bytes, trak, BOX.tkhd);
  const id = tkhd ? u32be(bytes, tkhd.start + (u8(bytes, tkhd.start) === 1 ? 20 : 12)) : 0;
  const mdia = child(bytes, trak, BOX.mdia);
  const hdlr = child(bytes, mdia, BOX.hdlr);
  const handler = hdlr ? ascii(bytes, hdlr.start + 8, 4) : '';
  const header = readHeaderDuration(bytes, child(bytes, mdia, BOX.mdhd));
  const stsd = path(bytes, mdia, BOX.minf, BOX.stbl, BOX.stsd);
  // stsd: version/flags and entry count, then the sample entries as boxes; the first one is used.
  const sampleEntry = stsd ? children(bytes, stsd.start + 8, stsd.end)[0] : undefined;
  return {
    id,
    handler,
    sampleEntry,
    timescale: header?.timescale ?? 0,
    duration: header?.duration ?? 0,
  };
}

function sampleEntryChildren(bytes: Uint8Array, entry: Box): Box[] {
  // AudioSampleEntry: 8 bytes of SampleEntry, 20 of audio fields; QuickTime versions 1 and 2 add 16
  // and 36 bytes before the child boxes.
  const version = u16be(bytes, entry.start + 8);
  const boxesStart = entry.start + 28 + (version === 1 ? 16 : version === 2 ? 36 : 0);
  return children(bytes, boxesStart, entry.end);
}

/** The esds descriptors' objectTypeIndication: 0x40 and 0x66–0x68 are AAC; 0x69/0x6B are MP3. */
function aacObjectType(bytes: Uint8Array, entry: Box): number | undefined {
  const esds = sampleEntryChildren(bytes, entry).find((box) => box.type === BOX.esds);
  if (!esds) return undefined;
  let offset = esds.start + 4;
  const readDescriptorHeader = () => {
    const tag = u8(bytes, offset++);
    // Sizes are up to four 7-bit groups with a continuation bit.
    for (let i = 0; i < 4 && (u8(bytes, offset++) & 0x80) !== 0; i++);
    return tag;
  };
  if (readDescriptorHeader() !== 0x03) return undefined;
  const flags = u8(bytes, offset + 2);
  offset += 3;
  if (flags & 0x80) offset += 2;
  if (flags & 0x40) offset += 1 + u8(bytes, offset);
  if (flags & 0x20) offset += 2;
  if (readDescriptorHeader() !== 0x04) return undefined;
  return u8(bytes, offset);
}

function codecOf(
  bytes: Uint8Array,
  entry: Box | undefined,
): { codec?: AudioCodec; other?: string } {
  if (!entry) return { other: 'none' };
  if (entry.type === BOX.Opus) return { codec: 'opus' };
  if (entry.type === BOX.mp4a) {
    const objectType = aacObjectType(bytes, entry);
    if (
      objectType === undefined ||
      objectType === 0x40 ||
      (objectType >= 0x66 && objectType <= 0x68)
    ) {
      return { codec: 'aac' };
    }
    return { other: `mp4a object type 0x${objectType.toString(16)}` };
  }
  return { other: fourccText(entry.type) };
}

/**
 * The audio track's length over all fragments, in the track's timescale: each traf's sample
 * durations summed, placed at its tfdt (base media decode time) when it has one. The anchor matters:
 * Chromium's MediaRecorder writes a placeholder ~21 ms duration for the last sample of every
 * fragment (its Opus packets are 60 ms), so summing alone loses ~40 ms per fragment, while its tfdt
 * values are right; without tfdt each fragment follows the previous one.
 */
function fragmentsDuration(
  bytes: Uint8Array,
  moofs: readonly Box[],
  trackId: number,
  trexDefault: number,
  moovDuration: number,
): number {
  let running = moovDuration;
  let end = moovDuration;
  let earliest: number | undefined;
  for (const moof of moofs) {
    for (const traf of children(bytes, moof.start, moof.end)) {
      if (traf.type !== BOX.traf) continue;
      const parts = children(bytes, traf.start, traf.end);
      const tfhd = parts.find((box) => box.type === BOX.tfhd);
      if (!tfhd || u32be(bytes, tfhd.start + 4) !== trackId) continue;
      const tfhdFlags = u32be(bytes, tfhd.start) & 0xffffff;
      let field = tfhd.start + 8;
      if (tfhdFlags & 0x01) field += 8;
      if (tfhdFlags & 0x02) field += 4;
      const defaultDuration = tfhdFlags & 0x08 ? u32be(bytes, field) : trexDefault;
      const tfdt = parts.find((box) => box.type === BOX.tfdt);
      const decodeTime = tfdt
        ? u8(bytes, tfdt.start) === 1
          ? u64be(bytes, tfdt.start + 4)
          : u32be(bytes, tfdt.start + 4)
        : undefined;
      if (decodeTime !== undefined) earliest = Math.min(earliest ?? decodeTime, decodeTime);
      let length = 0;
      for (const trun of parts) {
        if (trun.type === BOX.trun) length += trunDuration(bytes, trun, defaultDuration);
      }
      running = (decodeTime ?? running) + length;
      end = Math.max(end, running);
    }
  }
  // A recording cut from a longer stream starts at a later decode time; count from its start.
  const origin = moovDuration > 0 || earliest === undefined ? 0 : earliest;
  return Math.max(0, end - origin);
}

function trunDuration(bytes: Uint8Array, trun: Box, defaultDuration: number): number {
  const flags = u32be(bytes, trun.start) & 0xffffff;
  const count = u32be(bytes, trun.start + 4);
  let offset = trun.start + 8;
  if (flags & 0x001) offset += 4;
  if (flags & 0x004) offset += 4;
  if (!(flags & 0x100)) return count * defaultDuration;
  let entrySize = 0;
  for (const bit of [0x100, 0x200, 0x400, 0x800]) if (flags & bit) entrySize += 4;
  // The count is untrusted: the box must actually hold that many entries before we walk them.
  if (count * entrySize > trun.end - offset)
    throw malformed('MP4 trun claims more samples than it holds');
  let total = 0;
  for (let i = 0; i < count; i++) total += u32be(bytes, offset + i * entrySize);
  return total;
}

export function parseMp4(bytes: Uint8Array): ContainerAudio {
  if (!isMp4(bytes)) throw malformed('not an MP4 file');
  let moov: Box | undefined;
  const moofs: Box[] = [];
  for (const box of children(bytes, 0, bytes.length)) {
    if (box.type === BOX.moov) moov ??= box;
    else if (box.type === BOX.moof) moofs.push(box);
  }
  if (!moov) throw malformed('MP4 without a moov box');
  const movieBoxes = children(bytes, moov.start, moov.end);
  const tracks = movieBoxes
    .filter((box) => box.type === BOX.trak)
    .map((trak) => readTrack(bytes, trak));
  const hasVideo = tracks.some((track) => track.handler === 'vide');
  const audio = tracks.find((track) => track.handler === 'soun');
  if (!audio) return { codec: undefined, otherCodec: 'no audio track', hasVideo, durationMs: 0 };
  const { codec, other } = codecOf(bytes, audio.sampleEntry);

  const movie = readHeaderDuration(
    bytes,
    movieBoxes.find((box) => box.type === BOX.mvhd),
  );
  const mvex = movieBoxes.find((box) => box.type === BOX.mvex);
  const mvexBoxes = mvex ? children(bytes, mvex.start, mvex.end) : [];
  let durationMs: number;
  if (moofs.length > 0) {
    const mehd = mvexBoxes.find((box) => box.type === BOX.mehd);
    const fragmentDuration = mehd
      ? u8(bytes, mehd.start) === 1
        ? u64be(bytes, mehd.start + 4)
        : u32be(bytes, mehd.start + 4)
      : 0;
    if (fragmentDuration > 0 && movie && movie.timescale > 0) {
      durationMs = toMilliseconds(fragmentDuration, movie.timescale);
    } else {
      const trex = mvexBoxes.find(
        (box) => box.type === BOX.trex && u32be(bytes, box.start + 4) === audio.id,
      );
      const trexDefault = trex ? u32be(bytes, trex.start + 12) : 0;
      // Samples in the moov (usually none in a fragmented file) come before the fragments.
      const units = fragmentsDuration(bytes, moofs, audio.id, trexDefault, audio.duration);
      durationMs = toMilliseconds(units, audio.timescale);
    }
  } else if (movie && movie.duration > 0) {
    durationMs = toMilliseconds(movie.duration, movie.timescale);
  } else {
    durationMs = toMilliseconds(audio.duration, audio.timescale);
  }
  return { codec, ...(other ? { otherCodec: other } : {}), hasVideo, durationMs };
}

/** Where each packet of a track's sample table lies (stsz sizes, stsc runs, stco/co64 chunks). */
function tableSamples(
  bytes: Uint8Array,
  stbl: Box | undefined,
  add: (at: number, size: number) => void,
) {
  const boxes = stbl ? children(bytes, stbl.start, stbl.end) : [];
  const find = (type: number) => boxes.find((box) => box.type === type);
  const stsz = find(BOX.stsz);
  const stsc = find(BOX.stsc);
  const co64 = find(BOX.co64);
  const stco = find(BOX.stco) ?? co64;
  if (!stsz || !stsc || !stco) return;
  const fixedSize = u32be(bytes, stsz.start + 4);
  const sampleCount = u32be(bytes, stsz.start + 8);
  const runCount = u32be(bytes, stsc.start + 4);
  const chunkCount = u32be(bytes, stco.start + 4);
  const offsetSize = stco === co64 ? 8 : 4;
  // Counts are untrusted: each table must hold what it claims before it is walked.
  if (
    (fixedSize === 0 && sampleCount * 4 > stsz.end - stsz.start - 12) ||
    runCount * 12 > stsc.end - stsc.start - 8 ||
    chunkCount * offsetSize > stco.end - stco.start - 8
  ) {
    throw malformed('MP4 sample table claims more than it holds');
  }
  let sample = 0;
  let run = 0;
  for (let chunk = 1; chunk <= chunkCount && sample < sampleCount; chunk++) {
    while (run + 1 < runCount && u32be(bytes, stsc.start + 8 + (run + 1) * 12) <= chunk) run++;
    const perChunk = runCount > 0 ? u32be(bytes, stsc.start + 8 + run * 12 + 4) : 0;
    const entry = stco.start + 8 + (chunk - 1) * offsetSize;
    let at = offsetSize === 8 ? u64be(bytes, entry) : u32be(bytes, entry);
    for (let i = 0; i < perChunk && sample < sampleCount; i++, sample++) {
      const size = fixedSize || u32be(bytes, stsz.start + 12 + sample * 4);
      add(at, size);
      at += size;
    }
  }
  if (sample < sampleCount) throw malformed('MP4 samples without a chunk');
}

/** Where each packet of a track's fragments lies (moof/traf/trun, ISO/IEC 14496-12 §8.8). */
function fragmentSamples(
  bytes: Uint8Array,
  moof: Box,
  trackId: number,
  trexSize: number,
  add: (at: number, size: number) => void,
) {
  for (const traf of children(bytes, moof.start, moof.end)) {
    if (traf.type !== BOX.traf) continue;
    const parts = children(bytes, traf.start, traf.end);
    const tfhd = parts.find((box) => box.type === BOX.tfhd);
    if (!tfhd || u32be(bytes, tfhd.start + 4) !== trackId) continue;
    const flags = u32be(bytes, tfhd.start) & 0xffffff;
    let field = tfhd.start + 8;
    // Without an explicit base, offsets count from the moof (Chromium sets default-base-is-moof).
    const base = flags & 0x01 ? u64be(bytes, field) : moof.at;
    if (flags & 0x01) field += 8;
    if (flags & 0x02) field += 4;
    if (flags & 0x08) field += 4;
    const defaultSize = flags & 0x10 ? u32be(bytes, field) : trexSize;
    let at = base;
    for (const trun of parts) {
      if (trun.type !== BOX.trun) continue;
      const trunFlags = u32be(bytes, trun.start) & 0xffffff;
      const count = u32be(bytes, trun.start + 4);
      let entry = trun.start + 8;
      if (trunFlags & 0x001) {
        at = base + (u32be(bytes, entry) | 0);
        entry += 4;
      }
      if (trunFlags & 0x004) entry += 4;
      let entrySize = 0;
      for (const bit of [0x100, 0x200, 0x400, 0x800]) if (trunFlags & bit) entrySize += 4;
      if (count * entrySize > trun.end - entry)
        throw malformed('MP4 trun claims more than it holds');
      const sizeAt = trunFlags & 0x100 ? 4 : 0;
      for (let i = 0; i < count; i++) {
        const size = trunFlags & 0x200 ? u32be(bytes, entry + i * entrySize + sizeAt) : defaultSize;
        add(at, size);
        at += size;
      }
    }
  }
}

/**
 * Every Opus packet of the audio track, for remuxing: the sample table, then each fragment.
 * Pre-skip comes from dOps (Opus in ISOBMFF, https://opus-codec.org/docs/opus_in_isobmff.html §4.3,
 * big-endian unlike OpusHead); the played length from the edit list when there is one, which
 * fragmented recordings from MediaRecorder do not have (no end padding is dropped then).
 */
export function readMp4Opus(bytes: Uint8Array): OpusTrack {
  if (!isMp4(bytes)) throw malformed('not an MP4 file');
  const top = children(bytes, 0, bytes.length);
  // A cut file ends inside its last box: duration parsing tolerates that, remuxing does not.
  if (top.some((box) => box.truncated)) throw malformed('truncated MP4');
  const moov = top.find((box) => box.type === BOX.moov);
  if (!moov) throw malformed('MP4 without a moov box');
  const movieBoxes = children(bytes, moov.start, moov.end, [BOX.trak, BOX.mvhd, BOX.mvex]);
  const trak = movieBoxes
    .filter((box) => box.type === BOX.trak)
    .find((box) => readTrack(bytes, box).handler === 'soun');
  if (!trak) throw malformed('MP4 without an audio track');
  const track = readTrack(bytes, trak);
  const entry = track.sampleEntry;
  if (!entry || entry.type !== BOX.Opus) {
    const { codec, other } = codecOf(bytes, entry);
    throw malformed(`MP4 audio is ${codec ?? other ?? 'unknown'}, not Opus`);
  }
  const dOps = sampleEntryChildren(bytes, entry).find((box) => box.type === BOX.dOps);
  if (!dOps) throw malformed('MP4 Opus without dOps');
  const head = checkedHead(
    u8(bytes, dOps.start + 1),
    u16be(bytes, dOps.start + 2),
    u8(bytes, dOps.start + 10),
  );

  const list = new OpusPacketList(bytes.length);
  const add = (at: number, size: number) => {
    if (at + size > bytes.length) throw malformed('MP4 sample past the end of the file');
    list.add(bytes, at, at + size);
  };
  const mdia = child(bytes, trak, BOX.mdia);
  tableSamples(bytes, path(bytes, mdia, BOX.minf, BOX.stbl), add);
  const mvex = movieBoxes.find((box) => box.type === BOX.mvex);
  const trex = (mvex ? children(bytes, mvex.start, mvex.end) : []).find(
    (box) => box.type === BOX.trex && u32be(bytes, box.start + 4) === track.id,
  );
  const trexSize = trex ? u32be(bytes, trex.start + 16) : 0;
  for (const moof of top) {
    if (moof.type === BOX.moof) fragmentSamples(bytes, moof, track.id, trexSize, add);
  }

  const movie = readHeaderDuration(
    bytes,
    movieBoxes.find((box) => box.type === BOX.mvhd),
  );
  const played = editedLength(bytes, child(bytes, trak, BOX.edts), movie?.timescale ?? 0);
  const endPadding = played === undefined ? 0 : list.totalSamples - head.preSkip - played;
  return list.finish(head, endPadding);
}

/** 48 kHz samples the edit list plays (its first non-empty edit), if it says. */
function editedLength(bytes: Uint8Array, edts: Box | undefined, movieTimescale: number) {
  const elst = child(bytes, edts, BOX.elst);
  if (!elst || movieTimescale <= 0) return undefined;
  const version = u8(bytes, elst.start);
  const count = Math.min(u32be(bytes, elst.start + 4), 16);
  const entrySize = version === 1 ? 20 : 12;
  for (let i = 0; i < count; i++) {
    const entry = elst.start + 8 + i * entrySize;
    if (entry + entrySize > elst.end) break;
    const duration = version === 1 ? u64be(bytes, entry) : u32be(bytes, entry);
    const mediaTime = version === 1 ? u32be(bytes, entry + 8) : u32be(bytes, entry + 4);
    if (mediaTime === 0xffffffff) continue; // an empty edit: a pause before the track starts
    return duration > 0 ? Math.round((duration * OPUS_RATE) / movieTimescale) : undefined;
  }
  return undefined;
}
