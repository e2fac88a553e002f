// Byte helpers the OMEMO layer shares: libsignal speaks ArrayBuffer, the rest of core Uint8Array.

export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** libsignal returns ciphertext as a "binary string": one char per byte. */
export function binaryStringToBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** A uniformly random integer in [min, max] from a CSPRNG (rejection sampling, no modulo bias). */
export function randomInt(
  randomBytes: (length: number) => Uint8Array,
  min: number,
  max: number,
): number {
  const range = max - min + 1;
  const limit = Math.floor(0x100000000 / range) * range;
  for (;;) {
    const bytes = randomBytes(4);
    const value =
      ((bytes[0] ?? 0) * 0x1000000 +
        ((bytes[1] ?? 0) << 16) +
        ((bytes[2] ?? 0) << 8) +
        (bytes[3] ?? 0)) >>>
      0;
    if (value < limit) return min + (value % range);
  }
}
