// WebM / Matroska (EBML, RFC 8794 and RFC 9559) — https://www.rfc-editor.org/rfc/rfc9559 ;
// WebM container guidelines — https://www.webmproject.org/docs/container/ ; Opus packet TOC
// (RFC 6716 §3.1) — https://www.rfc-editor.org/rfc/rfc6716#section-3.1
//
// Duration: Segment Info's Duration × TimecodeScale when the muxer wrote it. Chromium's
// MediaRecorder does not (it streams: unknown-size Segment and Clusters, no Duration, no Cues), so
// then it is the last block's time (its Cluster's Timecode plus its own relative timecode) plus the
// length of that block, read from BlockDuration, else from its Opus TOC byte, else DefaultDuration.
// Element sizes are untrusted: every element is clamped to its parent, and unknown sizes are only
// accepted where Matroska allows them (Segment, Cluster).
import { ascii, malformed, toMilliseconds, u8 } from './byte-reader.ts';
import {
  checkedHead,
  OPUS_RATE,
  OpusPacketList,
  opusPacketSamples,
  readOpusHead,
  type OpusHead,
  type OpusTrack,
} from './opus.ts';
import type { AudioCodec, ContainerAudio } from './types.ts';

const ID = {
  EBML: 0x1a45dfa3,
  DocType: 0x4282,
  Segment: 0x18538067,
  Info: 0x1549a966,
  TimecodeScale: 0x2ad7b1,
  Duration: 0x4489,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackType: 0x83,
  CodecID: 0x86,
  CodecPrivate: 0x63a2,
  CodecDelay: 0x56aa,
  Audio: 0xe1,
  Channels: 0x9f,
  DefaultDuration: 0x23e383,
  Cluster: 0x1f43b675,
  Timecode: 0xe7,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  BlockDuration: 0x9b,
  DiscardPadding: 0x75a2,
} as const;
// Top-level elements: inside an unknown-size Cluster, meeting one of these ends the Cluster.
const SEGMENT_CHILDREN = new Set([
  ID.Cluster,
  ID.Info,
  ID.Tracks,
  0x114d9b74, // SeekHead
  0x1c53bb6b, // Cues
  0x1254c367, // Tags
  0x1043a770, // Chapters
  0x1941a469, // Attachments
]);
const TRACK_VIDEO = 1;
const TRACK_AUDIO = 2;

export function isWebm(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && readId(bytes, 0).id === ID.EBML;
}

/** A variable-length integer: its byte length comes from the leading zero bits of the first byte. */
function readVint(bytes: Uint8Array, offset: number, maxLength: number, keepMarker: boolean) {
  const first = u8(bytes, offset);
  let length = 1;
  while (length <= 8 && !(first & (0x100 >> length))) length++;
  if (length > maxLength) throw malformed('invalid EBML variable-length integer');
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const byte = u8(bytes, offset + i);
    value = value * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  return { value, length, allOnes };
}

function readId(bytes: Uint8Array, offset: number) {
  const { value, length } = readVint(bytes, offset, 4, true);
  return { id: value, length };
}

interface Element {
  readonly id: number;
  readonly start: number;
  /** Clamped to the parent; for an unknown size, the parent's end. */
  readonly end: number;
  readonly unknownSize: boolean;
  /** Its size claims more than its parent holds: clamped here, refused by the remuxer. */
  readonly truncated: boolean;
}

function readElement(bytes: Uint8Array, offset: number, parentEnd: number): Element {
  const { id, length } = readId(bytes, offset);
  const size = readVint(bytes, offset + length, 8, false);
  const start = offset + length + size.length;
  if (start > parentEnd) throw malformed('EBML element header past its parent');
  const unknownSize = size.allOnes;
  return {
    id,
    start,
    end: unknownSize ? parentEnd : Math.min(start + size.value, parentEnd),
    unknownSize,
    truncated: !unknownSize && start + size.value > parentEnd,
  };
}

function children(bytes: Uint8Array, parent: Element): Element[] {
  const elements: Element[] = [];
  for (let offset = parent.start; offset < parent.end;) {
    const element = readElement(bytes, offset, parent.end);
    if (element.unknownSize) throw malformed('EBML element of unknown size');
    elements.push(element);
    offset = element.end;
  }
  return elements;
}

function readUint(bytes: Uint8Array, element: Element): number {
  if (element.end - element.start > 8) throw malformed('EBML integer longer than 8 bytes');
  let value = 0;
  for (let i = element.start; i < element.end; i++) value = value * 256 + u8(bytes, i);
  return value;
}

function readFloat(bytes: Uint8Array, element: Element): number {
  const length = element.end - element.start;
  if (length !== 4 && length !== 8) throw malformed('EBML float of odd size');
  const view = new DataView(bytes.buffer, bytes.byteOffset + element.start, length);
  return length === 4 ? view.getFloat32(0) : view.getFloat64(0);
}

function readString(bytes: Uint8Array, element: Element): string {
  // Codec IDs and doc types are short; a long one is not one we know, so no need to read it all.
  return ascii(bytes, element.start, Math.min(element.end - element.start, 32)).replace(/\0+$/, '');
}

/** Milliseconds of audio in one Opus packet from its TOC byte (RFC 6716 §3.1), if it is sane. */
function opusPacketMs(bytes: Uint8Array, offset: number, end: number): number | undefined {
  const samples = opusPacketSamples(bytes, offset, end);
  return samples === undefined ? undefined : (samples / OPUS_RATE) * 1000;
}

interface AudioTrack {
  number: number;
  codec: AudioCodec | undefined;
  codecId: string;
  defaultDurationNs: number;
}

interface LastBlock {
  /** In TimecodeScale units, absolute. */
  time: number;
  /** In TimecodeScale units, when known from BlockDuration. */
  duration: number | undefined;
  payloadStart: number;
  payloadEnd: number;
  laced: boolean;
}

function readSegment(bytes: Uint8Array): Element {
  const header = readElement(bytes, 0, bytes.length);
  if (header.id !== ID.EBML || header.unknownSize) throw malformed('not an EBML file');
  const docType = children(bytes, header).find((element) => element.id === ID.DocType);
  const doc = docType ? readString(bytes, docType) : 'matroska';
  if (doc !== 'webm' && doc !== 'matroska') throw malformed(`unknown EBML document type '${doc}'`);
  const segment = readElement(bytes, header.end, bytes.length);
  if (segment.id !== ID.Segment) throw malformed('WebM without a Segment');
  return segment;
}

export function parseWebm(bytes: Uint8Array): ContainerAudio {
  const segment = readSegment(bytes);

  let timecodeScale = 1_000_000;
  let duration: number | undefined;
  let audio: AudioTrack | undefined;
  let hasVideo = false;
  let tracksSeen = false;
  let last: LastBlock | undefined;

  const noteBlock = (block: Element, clusterTime: number, blockDuration: number | undefined) => {
    if (!audio) return;
    const track = readVint(bytes, block.start, 8, false);
    if (track.value !== audio.number) return;
    const at = block.start + track.length;
    if (at + 3 > block.end) throw malformed('WebM block too short');
    const relative = (((u8(bytes, at) << 8) | u8(bytes, at + 1)) << 16) >> 16;
    const time = clusterTime + relative;
    if (last && time < last.time) return;
    const laced = (u8(bytes, at + 2) & 0x06) !== 0;
    last = { time, duration: blockDuration, payloadStart: at + 3, payloadEnd: block.end, laced };
  };

  let offset = segment.start;
  while (offset < segment.end) {
    const element = readElement(bytes, offset, segment.end);
    if (element.id === ID.Info) {
      for (const field of children(bytes, element)) {
        if (field.id === ID.TimecodeScale) timecodeScale = readUint(bytes, field);
        else if (field.id === ID.Duration) duration = readFloat(bytes, field);
      }
    } else if (element.id === ID.Tracks) {
      tracksSeen = true;
      for (const entry of children(bytes, element)) {
        if (entry.id !== ID.TrackEntry) continue;
        const track: AudioTrack = {
          number: 0,
          codec: undefined,
          codecId: '',
          defaultDurationNs: 0,
        };
        let type = 0;
        for (const field of children(bytes, entry)) {
          if (field.id === ID.TrackNumber) track.number = readUint(bytes, field);
          else if (field.id === ID.TrackType) type = readUint(bytes, field);
          else if (field.id === ID.CodecID) track.codecId = readString(bytes, field);
          else if (field.id === ID.DefaultDuration)
            track.defaultDurationNs = readUint(bytes, field);
        }
        if (type === TRACK_VIDEO) hasVideo = true;
        if (type === TRACK_AUDIO && !audio) {
          track.codec =
            track.codecId === 'A_OPUS' ? 'opus' : track.codecId === 'A_AAC' ? 'aac' : undefined;
          audio = track;
        }
      }
    } else if (element.id === ID.Cluster) {
      let clusterTime = 0;
      let inner = element.start;
      while (inner < element.end) {
        const child = readElement(bytes, inner, element.end);
        if (element.unknownSize && SEGMENT_CHILDREN.has(child.id)) break;
        if (child.unknownSize) throw malformed('EBML element of unknown size inside a Cluster');
        if (child.id === ID.Timecode) clusterTime = readUint(bytes, child);
        else if (child.id === ID.SimpleBlock) noteBlock(child, clusterTime, undefined);
        else if (child.id === ID.BlockGroup) {
          const parts = children(bytes, child);
          const block = parts.find((part) => part.id === ID.Block);
          const blockDuration = parts.find((part) => part.id === ID.BlockDuration);
          if (block)
            noteBlock(
              block,
              clusterTime,
              blockDuration ? readUint(bytes, blockDuration) : undefined,
            );
        }
        inner = child.end;
      }
      // An unknown-size Cluster ends where the next top-level element starts.
      offset = inner;
      continue;
    }
    // With both the Duration and the tracks known, the Clusters need not be walked.
    if (duration !== undefined && duration > 0 && tracksSeen) break;
    offset = element.end;
  }

  if (!audio) return { codec: undefined, otherCodec: 'no audio track', hasVideo, durationMs: 0 };
  const base = audio.codec
    ? { codec: audio.codec, hasVideo }
    : { codec: undefined, otherCodec: audio.codecId, hasVideo };
  if (timecodeScale <= 0) throw malformed('WebM TimecodeScale of zero');
  const unitsPerSecond = 1e9 / timecodeScale;
  if (duration !== undefined && duration > 0) {
    return { ...base, durationMs: toMilliseconds(duration, unitsPerSecond) };
  }
  if (!last) return { ...base, durationMs: 0 };
  let lastLength = last.duration;
  if (lastLength === undefined) {
    const packetMs =
      audio.codec === 'opus' && !last.laced
        ? opusPacketMs(bytes, last.payloadStart, last.payloadEnd)
        : undefined;
    const ns = packetMs !== undefined ? packetMs * 1e6 : audio.defaultDurationNs;
    lastLength = ns / timecodeScale;
  }
  return {
    ...base,
    durationMs: toMilliseconds(Math.max(0, last.time + lastLength), unitsPerSecond),
  };
}

interface OpusTrackEntry {
  readonly number: number;
  readonly head: OpusHead;
}

/** The first audio track, which must be Opus: its number, channels and pre-skip. */
function opusTrackEntry(bytes: Uint8Array, tracks: Element): OpusTrackEntry {
  for (const entry of children(bytes, tracks)) {
    if (entry.id !== ID.TrackEntry) continue;
    const fields = children(bytes, entry);
    const field = (id: number) => fields.find((element) => element.id === id);
    const type = field(ID.TrackType);
    if (!type || readUint(bytes, type) !== TRACK_AUDIO) continue;
    const codecId = field(ID.CodecID);
    const codec = codecId ? readString(bytes, codecId) : '';
    if (codec !== 'A_OPUS') throw malformed(`WebM audio is ${codec || 'unknown'}, not Opus`);
    const number = field(ID.TrackNumber);
    const codecPrivate = field(ID.CodecPrivate);
    if (codecPrivate) {
      const head = readOpusHead(bytes, codecPrivate.start, codecPrivate.end);
      return { number: number ? readUint(bytes, number) : 0, head };
    }
    // No OpusHead: Matroska's own Channels and CodecDelay (nanoseconds) say the same.
    const audio = field(ID.Audio);
    const channels = audio && children(bytes, audio).find((element) => element.id === ID.Channels);
    const delay = field(ID.CodecDelay);
    const preSkip = delay ? Math.round((readUint(bytes, delay) * OPUS_RATE) / 1e9) : 0;
    if (preSkip > 0xffff) throw malformed('WebM CodecDelay too long');
    return {
      number: number ? readUint(bytes, number) : 0,
      head: checkedHead(channels ? readUint(bytes, channels) : 1, preSkip, 0),
    };
  }
  throw malformed('WebM without an audio track');
}

/**
 * The frames of a Block (RFC 9559 §10.3 lacing): one, or several packed with Xiph, fixed-size or
 * EBML lacing. Muxers do not lace Opus, but Matroska allows it.
 */
function blockFrames(bytes: Uint8Array, start: number, end: number, lacing: number): Uint8Array[] {
  if (lacing === 0) return [bytes.subarray(start, end)];
  const count = u8(bytes, start) + 1;
  let at = start + 1;
  const sizes: number[] = [];
  if (lacing === 2) {
    const size = (end - at) / count;
    if (!Number.isInteger(size)) throw malformed('WebM fixed lacing of uneven frames');
    for (let i = 0; i < count; i++) sizes.push(size);
  } else {
    for (let i = 0; i < count - 1; i++) {
      if (lacing === 1) {
        let size = 0;
        let byte: number;
        do {
          byte = u8(bytes, at++);
          size += byte;
        } while (byte === 255);
        sizes.push(size);
      } else {
        const vint = readVint(bytes, at, 8, false);
        at += vint.length;
        // After the first, each size is a signed difference from the one before.
        const bias = 2 ** (7 * vint.length - 1) - 1;
        sizes.push(i === 0 ? vint.value : (sizes[i - 1] ?? 0) + vint.value - bias);
      }
    }
    const laced = sizes.reduce((sum, size) => sum + size, 0);
    sizes.push(end - at - laced);
  }
  const frames: Uint8Array[] = [];
  for (const size of sizes) {
    if (size < 0 || at + size > end) throw malformed('WebM lacing past its block');
    frames.push(bytes.subarray(at, at + size));
    at += size;
  }
  return frames;
}

/**
 * Every Opus packet of the first audio track, in the order stored, for remuxing. Pre-skip comes
 * from the OpusHead in CodecPrivate (else CodecDelay); end padding from the last block's
 * DiscardPadding (nanoseconds; FFmpeg writes it, MediaRecorder does not).
 */
export function readWebmOpus(bytes: Uint8Array): OpusTrack {
  const segment = readSegment(bytes);
  // Parsing for the duration clamps an element that runs past its parent; remuxing one would
  // play a cut packet, so a truncated file is refused.
  const whole = (element: Element) => {
    if (element.truncated) throw malformed('truncated WebM');
    return element;
  };
  whole(segment);
  let track: OpusTrackEntry | undefined;
  const list = new OpusPacketList(bytes.length);
  let endPadding = 0;

  const addBlock = (block: Element, discardPadding: Element | undefined) => {
    if (!track) throw malformed('WebM block before its track');
    const number = readVint(bytes, block.start, 8, false);
    if (number.value !== track.number) return;
    const at = block.start + number.length;
    if (at + 3 > block.end) throw malformed('WebM block too short');
    const lacing = (u8(bytes, at + 2) >> 1) & 0x03;
    for (const frame of blockFrames(bytes, at + 3, block.end, lacing)) {
      list.add(frame, 0, frame.length);
    }
    // Only the last block's padding is end padding; a signed value, negative means none.
    const padding = discardPadding ? readSigned(bytes, discardPadding) : 0;
    endPadding = Math.max(0, Math.round((padding * OPUS_RATE) / 1e9));
  };

  let offset = segment.start;
  while (offset < segment.end) {
    const element = whole(readElement(bytes, offset, segment.end));
    if (element.id === ID.Tracks) track ??= opusTrackEntry(bytes, element);
    else if (element.id === ID.Cluster) {
      let inner = element.start;
      while (inner < element.end) {
        const child = whole(readElement(bytes, inner, element.end));
        if (element.unknownSize && SEGMENT_CHILDREN.has(child.id)) break;
        if (child.unknownSize) throw malformed('EBML element of unknown size inside a Cluster');
        if (child.id === ID.SimpleBlock) addBlock(child, undefined);
        else if (child.id === ID.BlockGroup) {
          const parts = children(bytes, child);
          const block = parts.find((part) => part.id === ID.Block);
          if (block)
            addBlock(
              whole(block),
              parts.find((part) => part.id === ID.DiscardPadding),
            );
        }
        inner = child.end;
      }
      offset = inner;
      continue;
    }
    offset = element.end;
  }
  if (!track) throw malformed('WebM without an audio track');
  return list.finish(track.head, endPadding);
}

function readSigned(bytes: Uint8Array, element: Element): number {
  const length = element.end - element.start;
  if (length === 0) return 0;
  const value = readUint(bytes, element);
  return u8(bytes, element.start) & 0x80 ? value - 2 ** (8 * length) : value;
}
