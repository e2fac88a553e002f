// Opus (RFC 6716) — https://www.rfc-editor.org/rfc/rfc6716 ; Ogg Opus identification header
// (RFC 7845 §5.1) — https://www.rfc-editor.org/rfc/rfc7845#section-5.1
//
// What the remuxer needs from the codec itself: each packet's length in 48 kHz samples, read from
// its TOC byte (RFC 6716 §3.1), so that no container's timestamps have to be trusted (Chromium's
// fragmented MP4 writes placeholder durations), and the stream's channel count and pre-skip.
import { malformed, startsWith, u16le, u8 } from './byte-reader.ts';

/** Opus always decodes at 48 kHz; pre-skip, granule positions and CAF frames count at this rate. */
export const OPUS_RATE = 48_000;
/** RFC 6716 §3.2.5: a packet holds at most 120 ms of audio. */
const MAX_PACKET_SAMPLES = 5760;

/** Samples of one frame for each TOC configuration (RFC 6716 §3.1, Table 2), at 48 kHz. */
// prettier-ignore
const FRAME_SAMPLES = [
  480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880, // SILK-only: 10/20/40/60 ms
  480, 960, 480, 960, // hybrid: 10/20 ms
  120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, // CELT-only
];

/**
 * 48 kHz samples in the packet at bytes[offset, end), from its TOC byte and, for code 3, its frame
 * count byte; undefined for a packet RFC 6716 calls malformed (empty, no frames, over 120 ms).
 */
export function opusPacketSamples(
  bytes: Uint8Array,
  offset: number,
  end: number,
): number | undefined {
  if (offset >= end || end > bytes.length) return undefined;
  const toc = u8(bytes, offset);
  const frame = FRAME_SAMPLES[toc >> 3] ?? 0;
  const code = toc & 0x03;
  // Code 0: one frame; 1 and 2: two frames (equal or different sizes); 3: a count in the next byte.
  const frames =
    code === 0 ? 1 : code < 3 ? 2 : offset + 1 < end ? u8(bytes, offset + 1) & 0x3f : 0;
  const samples = frame * frames;
  return samples > 0 && samples <= MAX_PACKET_SAMPLES ? samples : undefined;
}

export interface OpusHead {
  readonly channels: 1 | 2;
  /** Samples at 48 kHz the decoder must discard at the start (the encoder's look-ahead). */
  readonly preSkip: number;
}

/**
 * The identification header (the first Ogg packet, WebM's CodecPrivate). Only channel mapping
 * family 0 (mono or stereo, one Opus stream) is taken: that is what every voice recorder writes,
 * and what a decoder can be set up for from CAF's 'desc' alone. Output gain is not carried over:
 * CAF has no field for it, and recorders write 0.
 */
export function readOpusHead(bytes: Uint8Array, offset: number, end: number): OpusHead {
  if (end - offset < 19 || !startsWith(bytes, offset, 'OpusHead')) {
    throw malformed('no OpusHead');
  }
  // RFC 7845 §5.1: a major version other than 0 is a format this reader cannot know.
  if ((u8(bytes, offset + 8) & 0xf0) !== 0) throw malformed('unknown OpusHead version');
  return checkedHead(u8(bytes, offset + 9), u16le(bytes, offset + 10), u8(bytes, offset + 18));
}

export function checkedHead(channels: number, preSkip: number, mappingFamily: number): OpusHead {
  if (mappingFamily !== 0 || (channels !== 1 && channels !== 2)) {
    throw malformed(`Opus with ${channels} channels (mapping family ${mappingFamily})`);
  }
  return { channels, preSkip };
}

/**
 * The Opus packets of one recording as its container holds them, ready to be written into another
 * container without decoding: their bytes back to back, and each one's size and length.
 */
export interface OpusTrack extends OpusHead {
  readonly data: Uint8Array;
  readonly packetSizes: Uint32Array;
  /** 48 kHz samples of each packet, from its TOC byte. */
  readonly packetSamples: Uint16Array;
  /** Their sum: what a decoder produces before pre-skip and end padding are dropped. */
  readonly totalSamples: number;
  /** Samples of encoder padding at the end that the container says to drop (0 if it does not). */
  readonly endPadding: number;
}

/**
 * Collects packets, checking each TOC byte as it comes, into typed arrays: a hostile file of a
 * million one-byte packets costs a few megabytes, not a million objects. The packets may not add up
 * to more bytes than the file has: only a forged sample table reads the same bytes twice.
 */
export class OpusPacketList {
  #data = new Uint8Array(0);
  #sizes = new Uint32Array(256);
  #samples = new Uint16Array(256);
  #bytes = 0;
  readonly #maxBytes: number;
  count = 0;
  totalSamples = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  add(source: Uint8Array, start: number, end: number): void {
    const samples = opusPacketSamples(source, start, end);
    if (samples === undefined) throw malformed('malformed Opus packet');
    const size = end - start;
    if (this.#bytes + size > this.#maxBytes) throw malformed('Opus packets overlap');
    if (this.#bytes + size > this.#data.length) {
      const data = new Uint8Array(
        Math.min(this.#maxBytes, Math.max(4096, 2 * (this.#bytes + size))),
      );
      data.set(this.#data.subarray(0, this.#bytes));
      this.#data = data;
    }
    if (this.count === this.#sizes.length) {
      const sizes = new Uint32Array(2 * this.count);
      sizes.set(this.#sizes);
      this.#sizes = sizes;
      const lengths = new Uint16Array(2 * this.count);
      lengths.set(this.#samples);
      this.#samples = lengths;
    }
    this.#data.set(source.subarray(start, end), this.#bytes);
    this.#bytes += size;
    this.#sizes[this.count] = size;
    this.#samples[this.count] = samples;
    this.count++;
    this.totalSamples += samples;
  }

  finish(head: OpusHead, endPadding: number): OpusTrack {
    if (this.count === 0) throw malformed('no Opus packets');
    if (head.preSkip >= this.totalSamples) throw malformed('Opus pre-skip longer than the audio');
    return {
      ...head,
      data: this.#data.subarray(0, this.#bytes),
      packetSizes: this.#sizes.subarray(0, this.count),
      packetSamples: this.#samples.subarray(0, this.count),
      totalSamples: this.totalSamples,
      // Never more than what is left after pre-skip: a container may claim anything.
      endPadding: Math.min(Math.max(0, Math.round(endPadding)), this.totalSamples - head.preSkip),
    };
  }
}
