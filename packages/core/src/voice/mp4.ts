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
] as const;
const BOX = Object.fromEntries(BOX_NAMES.map((name) => [name, fourcc(name)])) as Record<
  (typeof BOX_NAMES)[number],
  number
>;

interface Box {
  readonly type: number;
  /** First byte of the payload. */
  readonly start: number;
  /** One past the last byte, clamped to the parent. */
  readonly end: number;
}

export function isMp4(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && u32be(bytes, 4) === BOX.ftyp;
}

/** The ftyp box's major brand, e.g. 'M4A ', 'isom', 'heic'. */
export function mp4MajorBrand(bytes: Uint8Array): string {
  return ascii(bytes, 8, 4);
}

function children(bytes: Uint8Array, start: number, end: number): Box[] {
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
    boxes.push({ type, start: Math.min(offset + header, boxEnd), end: boxEnd });
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

/** The esds descriptors' objectTypeIndication: 0x40 and 0x66–0x68 are AAC; 0x69/0x6B are MP3. */
function aacObjectType(bytes: Uint8Array, entry: Box): number | undefined {
  // AudioSampleEntry: 8 bytes of SampleEntry, 20 of audio fields; QuickTime versions 1 and 2 add 16
  // and 36 bytes before the child boxes.
  const version = u16be(bytes, entry.start + 8);
  const boxesStart = entry.start + 28 + (version === 1 ? 16 : version === 2 ? 36 : 0);
  const esds = children(bytes, boxesStart, entry.end).find((box) => box.type === BOX.esds);
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
