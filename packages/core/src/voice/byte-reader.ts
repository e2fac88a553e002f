// Bounds-checked reads for the container parsers. Every read of untrusted bytes goes through here,
// so a field pointing past the end is a typed UnsupportedContent error, never a RangeError or NaN.
import { HushError } from '../errors.ts';

export function malformed(what: string): HushError {
  return new HushError('UnsupportedContent', `Unreadable audio: ${what}.`);
}

function need(bytes: Uint8Array, offset: number, length: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + length > bytes.length) {
    throw malformed('truncated data');
  }
}

export function u8(bytes: Uint8Array, offset: number): number {
  need(bytes, offset, 1);
  return bytes[offset] ?? 0;
}

export function u16be(bytes: Uint8Array, offset: number): number {
  need(bytes, offset, 2);
  return ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
}

export function u32be(bytes: Uint8Array, offset: number): number {
  need(bytes, offset, 4);
  return (
    (bytes[offset] ?? 0) * 0x1000000 +
    (((bytes[offset + 1] ?? 0) << 16) | ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0))
  );
}

/** A 64-bit big-endian unsigned integer as a Number: exact up to 2^53, which covers every real file. */
export function u64be(bytes: Uint8Array, offset: number): number {
  return u32be(bytes, offset) * 0x100000000 + u32be(bytes, offset + 4);
}

export function u16le(bytes: Uint8Array, offset: number): number {
  need(bytes, offset, 2);
  return (bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8);
}

export function u32le(bytes: Uint8Array, offset: number): number {
  need(bytes, offset, 4);
  return (
    (bytes[offset + 3] ?? 0) * 0x1000000 +
    (((bytes[offset + 2] ?? 0) << 16) | ((bytes[offset + 1] ?? 0) << 8) | (bytes[offset] ?? 0))
  );
}

/** Latin-1 text of at most `length` bytes (callers keep lengths small: never sized by the input). */
export function ascii(bytes: Uint8Array, offset: number, length: number): string {
  need(bytes, offset, length);
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(bytes[offset + i] ?? 0);
  return text;
}

export function startsWith(bytes: Uint8Array, offset: number, text: string): boolean {
  if (offset < 0 || offset + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) {
    if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  }
  return true;
}

/** Milliseconds from `units` of 1/`perSecond` s, refusing what no real file contains. */
export function toMilliseconds(units: number, perSecond: number): number {
  const ms = (units / perSecond) * 1000;
  if (!Number.isFinite(ms) || ms < 0 || perSecond <= 0) throw malformed('impossible duration');
  return Math.round(ms);
}
