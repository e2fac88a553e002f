// Core Audio Format (CAF) — https://developer.apple.com/library/archive/documentation/MusicAudio/Reference/CAFSpec/CAF_spec/CAF_spec.html
//
// Why: iOS (AVFoundation's players, which expo-audio uses) and Safari cannot open Opus in Ogg or
// WebM, but Apple's decoder plays Opus inside CAF (kAudioFormatOpus, iOS 11 and later). Moving the
// packets from one container to the other is a few milliseconds of copying; a bundled decoder is
// not an option on React Native (Hermes has no WebAssembly). Nothing is decoded or re-encoded.
//
// Layout written: 'caff' v1, 'desc', 'chan', 'pakt', then 'data' last so that its size is exact.
// - desc: 48 kHz (Opus always decodes at 48 kHz), 'opus', variable bytes per packet, the frames of
//   every packet if they are all equal, else 0 and each packet's frames in the packet table.
// - No 'kuki' (magic cookie): FFmpeg's CAF muxer writes none for Opus (libavformat/cafenc.c) and
//   its demuxer notes that the layout of Apple's Opus cookie is undocumented (cafdec.c,
//   read_kuki_chunk); mono and stereo need nothing beyond 'desc'. More channels are refused.
// - pakt: packet sizes (and frames) as the spec's variable-length integers, with pre-skip as
//   mPrimingFrames (as current FFmpeg writes its initial padding; FFmpeg 5.1 wrote 0) and the
//   container's end padding as mRemainderFrames, so playback is exactly as long as the recording.
import { HushError } from '../errors.ts';
import { malformed } from './byte-reader.ts';
import { isMp4, readMp4Opus } from './mp4.ts';
import { isOgg, readOggOpus } from './ogg.ts';
import { OPUS_RATE, type OpusTrack } from './opus.ts';
import { isWebm, readWebmOpus } from './webm.ts';

export const CAF_MIME_TYPE = 'audio/x-caf';

const CHANNEL_LAYOUT_MONO = (100 << 16) | 1; // kCAFChannelLayoutTag_Mono
const CHANNEL_LAYOUT_STEREO = (101 << 16) | 2; // kCAFChannelLayoutTag_Stereo
const INT32_MAX = 0x7fffffff;

const READERS: readonly [string, (bytes: Uint8Array) => boolean, (b: Uint8Array) => OpusTrack][] = [
  // The order of readContainer: isWebm reads an EBML ID, which an MP4 header is not.
  ['MP4', isMp4, readMp4Opus],
  ['Ogg', isOgg, readOggOpus],
  ['WebM', isWebm, readWebmOpus],
];

/** The Opus packets of a recording in Ogg, WebM or MP4, or UnsupportedContent. */
export function readOpusTrack(bytes: Uint8Array): OpusTrack {
  if (!(bytes instanceof Uint8Array))
    throw new HushError('UnsupportedContent', 'Not a byte array.');
  for (const [name, detect, read] of READERS) {
    try {
      if (!detect(bytes)) continue;
      return read(bytes);
    } catch (error) {
      if (error instanceof HushError) throw error;
      // Defence in depth, as in readContainer: a reader bug is still "cannot read this file".
      throw new HushError('UnsupportedContent', `Unreadable ${name} file.`, { cause: error });
    }
  }
  throw new HushError('UnsupportedContent', 'Not Opus audio in Ogg, WebM or MP4.');
}

/**
 * The same Opus packets in a CAF file, for Apple's players: a recording in Ogg, WebM or MP4 in,
 * CAF out. Anything else (AAC, which Apple plays as it is, other codecs, damaged files) is
 * UnsupportedContent.
 */
export function opusToCaf(bytes: Uint8Array): Uint8Array {
  return writeOpusCaf(readOpusTrack(bytes));
}

/** The number of bytes of a CAF variable-length integer: 7 bits a byte, high bit "more follows". */
function varintLength(value: number): number {
  let length = 1;
  while (value >= 128 ** length) length++;
  return length;
}

export function writeOpusCaf(track: OpusTrack): Uint8Array {
  const { data, packetSizes, packetSamples, totalSamples, preSkip, endPadding } = track;
  const first = packetSamples[0] ?? 0;
  const framesPerPacket = packetSamples.every((samples) => samples === first) ? first : 0;
  const validFrames = totalSamples - preSkip - endPadding;
  if (endPadding > INT32_MAX || validFrames < 0) throw malformed('impossible Opus length');

  let tableLength = 0;
  for (let i = 0; i < packetSizes.length; i++) {
    tableLength += varintLength(packetSizes[i] ?? 0);
    if (framesPerPacket === 0) tableLength += varintLength(packetSamples[i] ?? 0);
  }
  const descLength = 32;
  const chanLength = 12;
  const paktLength = 24 + tableLength;
  const dataChunkLength = 4 + data.length;
  const out = new Uint8Array(
    8 + 12 + descLength + 12 + chanLength + 12 + paktLength + 12 + dataChunkLength,
  );
  const view = new DataView(out.buffer);
  let at = 0;
  const fourcc = (text: string) => {
    for (let i = 0; i < 4; i++) out[at++] = text.charCodeAt(i);
  };
  const u32 = (value: number) => {
    view.setUint32(at, value);
    at += 4;
  };
  /** Non-negative integers up to 2^53: every size and count here. */
  const u64 = (value: number) => {
    u32(Math.floor(value / 0x100000000));
    u32(value >>> 0);
  };
  const chunk = (type: string, length: number) => {
    fourcc(type);
    u64(length);
  };
  const varint = (value: number) => {
    for (let i = varintLength(value) - 1; i >= 0; i--) {
      out[at++] = (Math.floor(value / 128 ** i) % 128) | (i > 0 ? 0x80 : 0);
    }
  };

  fourcc('caff');
  out[at + 1] = 1; // mFileVersion 1, mFileFlags 0
  at += 4;

  chunk('desc', descLength);
  view.setFloat64(at, OPUS_RATE); // mSampleRate
  at += 8;
  fourcc('opus'); // mFormatID: kAudioFormatOpus
  u32(0); // mFormatFlags
  u32(0); // mBytesPerPacket: variable
  u32(framesPerPacket); // mFramesPerPacket: 0 when packets vary
  u32(track.channels); // mChannelsPerFrame
  u32(0); // mBitsPerChannel: compressed

  chunk('chan', chanLength);
  u32(track.channels === 1 ? CHANNEL_LAYOUT_MONO : CHANNEL_LAYOUT_STEREO);
  u32(0); // mChannelBitmap
  u32(0); // mNumberChannelDescriptions

  chunk('pakt', paktLength);
  u64(packetSizes.length); // mNumberPackets
  u64(validFrames); // mNumberValidFrames
  u32(preSkip); // mPrimingFrames
  u32(endPadding); // mRemainderFrames
  for (let i = 0; i < packetSizes.length; i++) {
    varint(packetSizes[i] ?? 0);
    if (framesPerPacket === 0) varint(packetSamples[i] ?? 0);
  }

  chunk('data', dataChunkLength);
  u32(0); // mEditCount
  out.set(data, at);
  return out;
}
