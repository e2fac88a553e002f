// Ogg (RFC 3533) — https://www.rfc-editor.org/rfc/rfc3533 ; Ogg Opus (RFC 7845) —
// https://www.rfc-editor.org/rfc/rfc7845
//
// Duration without decoding (RFC 7845 §4.1): the granule position of the stream's last page counts
// 48 kHz samples including the encoder's pre-skip, which OpusHead gives. The last page is found by
// scanning back from the end for a capture pattern whose page header is consistent, belongs to the
// Opus stream and carries a valid CRC: "OggS" can occur inside compressed data by chance.
import { malformed, startsWith, toMilliseconds, u16le, u32le, u8 } from './byte-reader.ts';
import type { ContainerAudio } from './types.ts';

const HEADER_BYTES = 27;
const OPUS_RATE = 48_000;
// CRC checks are the only per-candidate cost that grows with page size; a file with more candidate
// pages than this in its tail is not an Ogg file anyone recorded.
const MAX_CANDIDATES = 64;

export function isOgg(bytes: Uint8Array): boolean {
  return startsWith(bytes, 0, 'OggS');
}

interface Page {
  readonly headerType: number;
  readonly granuleLow: number;
  readonly granuleHigh: number;
  readonly serial: number;
  readonly payloadStart: number;
  readonly end: number;
}

/** The page at `offset`, or undefined if its header does not hold together within the bytes. */
function readPage(bytes: Uint8Array, offset: number): Page | undefined {
  if (!startsWith(bytes, offset, 'OggS') || offset + HEADER_BYTES > bytes.length) return undefined;
  if (u8(bytes, offset + 4) !== 0) return undefined;
  const segments = u8(bytes, offset + 26);
  const payloadStart = offset + HEADER_BYTES + segments;
  if (payloadStart > bytes.length) return undefined;
  let payloadLength = 0;
  for (let i = 0; i < segments; i++) payloadLength += u8(bytes, offset + HEADER_BYTES + i);
  const end = payloadStart + payloadLength;
  if (end > bytes.length) return undefined;
  return {
    headerType: u8(bytes, offset + 5),
    granuleLow: u32le(bytes, offset + 6),
    granuleHigh: u32le(bytes, offset + 10),
    serial: u32le(bytes, offset + 14),
    payloadStart,
    end,
  };
}

let crcTable: Uint32Array | undefined;

/** Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, zero initial value, checksum field zeroed. */
function pageCrcMatches(bytes: Uint8Array, offset: number, end: number): boolean {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let r = i << 24;
      for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
      crcTable[i] = r >>> 0;
    }
  }
  let crc = 0;
  for (let i = offset; i < end; i++) {
    const byte = i >= offset + 22 && i < offset + 26 ? 0 : (bytes[i] ?? 0);
    crc = ((crc << 8) ^ (crcTable[((crc >>> 24) ^ byte) & 0xff] ?? 0)) >>> 0;
  }
  return crc === u32le(bytes, offset + 22);
}

export function parseOgg(bytes: Uint8Array): ContainerAudio {
  const first = readPage(bytes, 0);
  if (!first || !(first.headerType & 0x02)) throw malformed('Ogg without a first page');
  if (!startsWith(bytes, first.payloadStart, 'OpusHead')) {
    const other = startsWith(bytes, first.payloadStart, '\x01vorbis')
      ? 'vorbis'
      : startsWith(bytes, first.payloadStart, '\x7fFLAC')
        ? 'flac'
        : startsWith(bytes, first.payloadStart, '\x80theora')
          ? 'theora'
          : 'unknown';
    return { codec: undefined, otherCodec: other, hasVideo: other === 'theora', durationMs: 0 };
  }
  // RFC 7845 §5.1: a major version other than 0 is a format this parser cannot know.
  if ((u8(bytes, first.payloadStart + 8) & 0xf0) !== 0) throw malformed('unknown OpusHead version');
  const preSkip = u16le(bytes, first.payloadStart + 10);

  let candidates = 0;
  for (let offset = bytes.length - HEADER_BYTES; offset >= 0; offset--) {
    if (bytes[offset] !== 0x4f || !startsWith(bytes, offset, 'OggS')) continue;
    const page = readPage(bytes, offset);
    if (!page || page.serial !== first.serial) continue;
    // Granule -1: no packet ends on this page, so it says nothing about the length.
    if (page.granuleLow === 0xffffffff && page.granuleHigh === 0xffffffff) continue;
    if (++candidates > MAX_CANDIDATES) break;
    if (!pageCrcMatches(bytes, offset, page.end)) continue;
    if (page.granuleHigh >= 0x80000000) throw malformed('negative Ogg granule position');
    const samples = page.granuleHigh * 0x100000000 + page.granuleLow - preSkip;
    return {
      codec: 'opus',
      hasVideo: false,
      durationMs: toMilliseconds(Math.max(0, samples), OPUS_RATE),
    };
  }
  throw malformed('Ogg without a readable last page');
}
