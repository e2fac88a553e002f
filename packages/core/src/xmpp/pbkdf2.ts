// RFC 8018 PBKDF2 (HMAC-SHA-256 or HMAC-SHA-1), as SCRAM's Hi() (RFC 5802 §2.2): through WebCrypto
// where the platform has it (Node 22, browsers: native code, and asynchronous, so a page or the
// event loop is not frozen for the ~10,000 iterations), else in JavaScript (React Native has
// getRandomValues but no crypto.subtle): SHA-256 through pbkdf2-sha256.ts, made for an interpreter,
// SHA-1 through noble's pbkdf2Async. Both yield between chunks.
// Only a login with the password runs it: a reconnect or a reload logs in with saved keys or a
// FAST token (saved-login.ts), with no PBKDF2 at all.
import { pbkdf2Async } from '@noble/hashes/pbkdf2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { pbkdf2Sha256 } from './pbkdf2-sha256.ts';

export type ScramHashName = 'SHA-256' | 'SHA-1';

interface Pbkdf2Subtle {
  importKey(
    format: 'raw',
    keyData: Uint8Array,
    algorithm: 'PBKDF2',
    extractable: false,
    usages: ['deriveBits'],
  ): Promise<unknown>;
  deriveBits(
    algorithm: { name: 'PBKDF2'; hash: ScramHashName; salt: Uint8Array; iterations: number },
    key: unknown,
    length: number,
  ): Promise<ArrayBuffer>;
}

function subtle(): Pbkdf2Subtle | undefined {
  const crypto = (globalThis as { crypto?: { subtle?: Pbkdf2Subtle } }).crypto;
  return typeof crypto?.subtle?.deriveBits === 'function' ? crypto.subtle : undefined;
}

/** Which implementation pbkdf2() runs on this platform. */
export function pbkdf2Implementation(): 'webcrypto' | 'javascript' {
  return subtle() ? 'webcrypto' : 'javascript';
}

/**
 * PBKDF2-HMAC-`hash` of `password` with `salt`, `iterations` rounds, `length` bytes. The password's
 * key is imported non-extractable and dropped with this call.
 */
export async function pbkdf2(
  hash: ScramHashName,
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  length: number,
): Promise<Uint8Array> {
  const webCrypto = subtle();
  if (webCrypto) {
    const key = await webCrypto.importKey('raw', password, 'PBKDF2', false, ['deriveBits']);
    const bits = await webCrypto.deriveBits(
      { name: 'PBKDF2', hash, salt, iterations },
      key,
      length * 8,
    );
    return new Uint8Array(bits);
  }
  if (hash === 'SHA-256' && length === 32) return pbkdf2Sha256(password, salt, iterations);
  return pbkdf2Async(hash === 'SHA-256' ? sha256 : sha1, password, salt, {
    c: iterations,
    dkLen: length,
  });
}
