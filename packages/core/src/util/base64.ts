// The one base64 of core.

// Base64 (RFC 4648 §4) written out rather than btoa/atob or Buffer: core runs where either may be missing,
// and decoding must reject non-canonical input instead of skipping characters as atob does.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a = 0, b = 0, c = 0] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const chunk = (a << 16) | (b << 8) | c;
    out += ALPHABET.charAt((chunk >> 18) & 63) + ALPHABET.charAt((chunk >> 12) & 63);
    out += i + 1 < bytes.length ? ALPHABET.charAt((chunk >> 6) & 63) : '=';
    out += i + 2 < bytes.length ? ALPHABET.charAt(chunk & 63) : '=';
  }
  return out;
}

/** Canonical base64 to bytes, or undefined when the text is not canonical base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (
    text.length % 4 !== 0 ||
    !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)
  )
    return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = new Uint8Array((text.length / 4) * 3 - padding);
  let length = 0;
  for (let i = 0; i < text.length; i += 4) {
    let chunk = 0;
    for (let j = 0; j < 4; j++) {
      const index = ALPHABET.indexOf(text.charAt(i + j));
      chunk = (chunk << 6) | (index < 0 ? 0 : index);
    }
    for (const shift of [16, 8, 0])
      if (length < bytes.length) bytes[length++] = (chunk >> shift) & 255;
  }
  // Unused low bits must be zero, or two texts would decode to the same bytes.
  return encodeBase64(bytes) === text ? bytes : undefined;
}

const DECODE = new Map([...ALPHABET].map((char, index) => [char, index]));

/**
 * Base64 -> bytes, or null when it is not base64. Whitespace is skipped (some clients wrap long
 * values over lines) and padding is optional; bits left over in the last character must be zero, so
 * each byte string has exactly one accepted encoding apart from whitespace and padding.
 */
export function decodeBase64Lenient(text: string): Uint8Array | null {
  const compact = text.replace(/[\t\n\r ]/g, '');
  const body = compact.replace(/={1,2}$/, '');
  if (compact.length !== body.length && compact.length % 4 !== 0) return null;
  if (body.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of body) {
    const value = DECODE.get(char);
    if (value === undefined) return null;
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return null;
  return out;
}
