// Ogg (RFC 3533) — https://www.rfc-editor.org/rfc/rfc3533 ; Ogg Opus (RFC 7845) —
// https://www.rfc-editor.org/rfc/rfc7845
//
// Duration without decoding (RFC 7845 §4.1): the granule position of the stream's last page counts
// 48 kHz samples including the encoder's pre-skip, which OpusHead gives. The last page is found by
// scanning back from the end for a capture pattern whose page header is consistent, belongs to the
// Opus stream and carries a valid CRC: "OggS" can occur inside compressed data by chance.
import { malformed, startsWith, toMilliseconds, u16le, u32le, u8 } from './byte-reader.ts';
import { OpusPacketList, readOpusHead, type OpusHead, type OpusTrack } from './opus.ts';
import type { ContainerAudio } from './types.ts';
import { joinBytes } from '../util/bytes.ts';

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
  const table = crcTable;
  let crc = 0;
  // Three loops rather than a test per byte for the zeroed checksum field: the remuxer checks
  // every page, and without a JIT (Hermes) this loop is most of its time.
  for (let i = offset; i < offset + 22; i++) {
    crc = (crc << 8) ^ (table[((crc >>> 24) ^ (bytes[i] ?? 0)) & 0xff] ?? 0);
  }
  for (let i = 0; i < 4; i++) crc = (crc << 8) ^ (table[(crc >>> 24) & 0xff] ?? 0);
  for (let i = offset + 26; i < end; i++) {
    crc = (crc << 8) ^ (table[((crc >>> 24) ^ (bytes[i] ?? 0)) & 0xff] ?? 0);
  }
  return crc >>> 0 === u32le(bytes, offset + 22);
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

/**
 * Every Opus packet of the file's first logical stream, for remuxing. Pages are read in order from
 * the start and each must be whole with a valid CRC: a damaged file is refused, not half played.
 * End padding (RFC 7845 §4.4): the last page's granule position says where playback ends; the
 * packets may hold more samples than that. A stream need not start at granule 0 (§4.3), so the
 * first audio page's granule, less the samples completed on it, is the origin.
 */
export function readOggOpus(bytes: Uint8Array): OpusTrack {
  const first = readPage(bytes, 0);
  if (!first || !(first.headerType & 0x02)) throw malformed('Ogg without a first page');
  let head: OpusHead | undefined;
  let packetIndex = 0;
  const list = new OpusPacketList(bytes.length);
  let pieces: Uint8Array[] = [];
  let origin: number | undefined;
  let endGranule: number | undefined;

  for (let offset = 0; offset < bytes.length;) {
    const page = readPage(bytes, offset);
    if (!page || !pageCrcMatches(bytes, offset, page.end)) throw malformed('damaged Ogg page');
    const pageOffset = offset;
    offset = page.end;
    if (page.serial !== first.serial) continue;
    // A page that does not continue a packet must not find one unfinished, and vice versa.
    const continues = (page.headerType & 0x01) !== 0;
    if (continues !== pieces.length > 0) throw malformed('broken Ogg packet');
    const completedBefore = list.count;
    let at = page.payloadStart;
    for (let lacing = pageOffset + HEADER_BYTES; lacing < page.payloadStart; lacing++) {
      const size = u8(bytes, lacing);
      pieces.push(bytes.subarray(at, at + size));
      at += size;
      if (size === 255) continue;
      // Most packets lie within one page; only those that cross a page boundary are copied.
      const packet = pieces.length === 1 ? (pieces[0] ?? new Uint8Array(0)) : joinBytes(pieces);
      pieces = [];
      if (packetIndex === 0) head = readOpusHead(packet, 0, packet.length);
      // Packet 1 is OpusTags (RFC 7845 §5.2): nothing a player needs.
      else if (packetIndex > 1) list.add(packet, 0, packet.length);
      packetIndex++;
    }
    const granuleKnown = !(page.granuleLow === 0xffffffff && page.granuleHigh === 0xffffffff);
    if (granuleKnown && list.count > completedBefore) {
      if (page.granuleHigh >= 0x80000000) throw malformed('negative Ogg granule position');
      const granule = page.granuleHigh * 0x100000000 + page.granuleLow;
      // On the first audio page, every sample so far ends at this granule.
      origin ??= Math.max(0, granule - list.totalSamples);
      endGranule = granule;
    }
    if (page.headerType & 0x04) break;
  }
  if (pieces.length > 0) throw malformed('Ogg ends inside a packet');
  if (!head) throw malformed('Ogg without OpusHead');
  const played = endGranule === undefined ? list.totalSamples : endGranule - (origin ?? 0);
  return list.finish(head, list.totalSamples - played);
}
