// XEP-0454 OMEMO Media Sharing — https://xmpp.org/extensions/xep-0454.html
// A file is encrypted with AES-256-GCM under a fresh key and IV, uploaded as ciphertext with the
// 16-byte tag appended, and shared as aesgcm://host/path#<hex iv><hex key> inside the OMEMO body: the
// server only ever sees ciphertext, and HTTP clients never send the fragment.
//
// We send 12-byte IVs (GCM's native size, what the XEP now recommends) and accept 16-byte ones, which
// older Conversations and Monal versions still send. @noble/ciphers runs the same pure-JS code on
// Node, browsers and React Native (which has no WebCrypto). Measured on 10 MB: ~46 MB/s against
// node:crypto's ~2,100 MB/s (AES-NI), so ~0.2 s per file at the 10 MB limit: acceptable for now.
import { gcm } from '@noble/ciphers/aes.js';
import { HushError } from '../errors.ts';
import type { RandomBytes } from '../util/random.ts';

export const AESGCM_KEY_BYTES = 32;
export const AESGCM_IV_BYTES = 12;
export const AESGCM_TAG_BYTES = 16;
const ACCEPTED_IV_BYTES = [12, 16];

export interface EncryptedFile {
  /** AES-256-GCM ciphertext followed by the 16-byte tag: the bytes to upload. */
  readonly ciphertext: Uint8Array;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

export interface AesgcmLink {
  /** The https:// URL the ciphertext is fetched from (no fragment). */
  readonly url: string;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

/**
 * Draws `length` bytes from `randomBytes` or, without one, the platform CSPRNG. A reused or guessable
 * key/IV would break GCM outright, so there is no weaker fallback: no source means an error.
 */
function secureRandom(length: number, randomBytes: RandomBytes | undefined): Uint8Array {
  let bytes: unknown;
  if (randomBytes) {
    bytes = randomBytes(length);
  } else {
    const crypto = (globalThis as { crypto?: { getRandomValues?: (array: Uint8Array) => unknown } })
      .crypto;
    if (typeof crypto?.getRandomValues !== 'function') {
      throw new HushError(
        'ProtocolError',
        'This platform has no secure random source (crypto.getRandomValues); cannot encrypt files.',
      );
    }
    bytes = new Uint8Array(length);
    crypto.getRandomValues(bytes as Uint8Array);
  }
  // An all-zero draw has probability 2^-96 at the least: it means a stubbed or broken generator.
  if (!(bytes instanceof Uint8Array) || bytes.length !== length || bytes.every((b) => b === 0)) {
    throw new HushError('ProtocolError', 'The random source returned unusable bytes.');
  }
  return bytes;
}

export function encryptFile(bytes: Uint8Array, randomBytes?: RandomBytes): EncryptedFile {
  const key = secureRandom(AESGCM_KEY_BYTES, randomBytes);
  const iv = secureRandom(AESGCM_IV_BYTES, randomBytes);
  return { ciphertext: gcm(key, iv).encrypt(bytes), key, iv };
}

/** Decrypts and verifies; a wrong key, IV or any changed byte is an IntegrityError. */
export function decryptFile(ciphertext: Uint8Array, key: Uint8Array, iv: Uint8Array): Uint8Array {
  if (key.length !== AESGCM_KEY_BYTES || !ACCEPTED_IV_BYTES.includes(iv.length)) {
    throw new HushError('UnsupportedContent', 'The file key or IV has the wrong length.');
  }
  if (ciphertext.length < AESGCM_TAG_BYTES) {
    throw new HushError('IntegrityError', 'The encrypted file is truncated.');
  }
  try {
    return gcm(key, iv).decrypt(ciphertext);
  } catch (error) {
    throw new HushError('IntegrityError', 'The file was altered or the key does not match.', {
      cause: error,
    });
  }
}

/**
 * The platform's AES-GCM (WebCrypto: OpenSSL on Node, the browser's own), when there is one. Files
 * are megabytes: pure-JS GCM runs at ~50 MB/s, WebCrypto at gigabytes per second. React Native has
 * no WebCrypto and uses the noble implementation.
 */
interface AesGcmSubtle {
  importKey(
    format: 'raw',
    key: Uint8Array,
    algorithm: 'AES-GCM',
    extractable: false,
    usages: ('encrypt' | 'decrypt')[],
  ): Promise<unknown>;
  encrypt(
    algorithm: { name: 'AES-GCM'; iv: Uint8Array },
    key: unknown,
    data: Uint8Array,
  ): Promise<ArrayBuffer>;
  decrypt(
    algorithm: { name: 'AES-GCM'; iv: Uint8Array },
    key: unknown,
    data: Uint8Array,
  ): Promise<ArrayBuffer>;
}

/**
 * A platform's native AES-GCM where it has no WebCrypto: on iOS and Android, expo-crypto's (CryptoKit,
 * javax.crypto). Installed once by the app; core stays free of platform imports. Ciphertext carries
 * its 16-byte tag at the end, as XEP-0454 sends it. Only 12-byte IVs go through it (every platform
 * takes those); the older 16-byte IVs stay on the JavaScript path.
 */
export interface NativeAesGcm {
  encrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** Rejects when the tag does not verify. */
  decrypt(key: Uint8Array, iv: Uint8Array, ciphertextWithTag: Uint8Array): Promise<Uint8Array>;
}

let nativeAesGcm: NativeAesGcm | undefined;

/** Files then go through `aesGcm` wherever the platform has no WebCrypto (undefined: back to JS). */
export function installNativeAesGcm(aesGcm: NativeAesGcm | undefined): void {
  nativeAesGcm = aesGcm;
}

function platformSubtle(): AesGcmSubtle | undefined {
  // Core's type library has no DOM: the few WebCrypto members used here, typed by hand.
  const subtle = (globalThis as { crypto?: { subtle?: AesGcmSubtle } }).crypto?.subtle;
  return typeof subtle?.encrypt === 'function' ? subtle : undefined;
}

/** encryptFile, on the platform's AES-GCM where there is one (same output). */
export async function encryptFileAsync(
  bytes: Uint8Array,
  randomBytes?: RandomBytes,
): Promise<EncryptedFile> {
  const subtle = platformSubtle();
  if (!subtle && !nativeAesGcm) return encryptFile(bytes, randomBytes);
  const key = secureRandom(AESGCM_KEY_BYTES, randomBytes);
  const iv = secureRandom(AESGCM_IV_BYTES, randomBytes);
  if (!subtle && nativeAesGcm) {
    const ciphertext = await nativeAesGcm.encrypt(key, iv, bytes);
    if (ciphertext.length !== bytes.length + AESGCM_TAG_BYTES) {
      throw new HushError(
        'ProtocolError',
        'The platform AES-GCM returned a ciphertext of the wrong size.',
      );
    }
    return { ciphertext, key, iv };
  }
  if (!subtle) return encryptFile(bytes, randomBytes);
  const cryptoKey = await subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt']);
  const sealed = await subtle.encrypt({ name: 'AES-GCM', iv }, cryptoKey, bytes);
  return { ciphertext: new Uint8Array(sealed), key, iv };
}

/** decryptFile, on the platform's AES-GCM where there is one (same checks and errors). */
export async function decryptFileAsync(
  ciphertext: Uint8Array,
  key: Uint8Array,
  iv: Uint8Array,
): Promise<Uint8Array> {
  const subtle = platformSubtle();
  const native = !subtle && iv.length === AESGCM_IV_BYTES ? nativeAesGcm : undefined;
  if (!subtle && !native) return decryptFile(ciphertext, key, iv);
  if (key.length !== AESGCM_KEY_BYTES || !ACCEPTED_IV_BYTES.includes(iv.length)) {
    throw new HushError('UnsupportedContent', 'The file key or IV has the wrong length.');
  }
  if (ciphertext.length < AESGCM_TAG_BYTES) {
    throw new HushError('IntegrityError', 'The encrypted file is truncated.');
  }
  try {
    if (native) return await native.decrypt(key, iv, ciphertext);
    if (!subtle) throw new Error('unreachable: no AES-GCM');
    const cryptoKey = await subtle.importKey('raw', key, 'AES-GCM', false, ['decrypt']);
    return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv }, cryptoKey, ciphertext));
  } catch (error) {
    throw new HushError('IntegrityError', 'The file was altered or the key does not match.', {
      cause: error,
    });
  }
}

const HEX_FRAGMENT = /^(?:[0-9a-f]{24}|[0-9a-f]{32})[0-9a-f]{64}$/i;

/** Whitespace or control characters in a link are never legitimate and could smuggle header text. */
function hasUnsafeCharacters(url: string): boolean {
  for (let i = 0; i < url.length; i++) {
    const code = url.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return /\s/.test(url);
}

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++)
    bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Splits scheme://authority/rest by hand: React Native's URL class lacks most of the standard. */
function splitUrl(url: string): { scheme: string; rest: string } | undefined {
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]+)(.*)$/i.exec(url);
  if (!match || hasUnsafeCharacters(url)) return undefined;
  return { scheme: (match[1] ?? '').toLowerCase(), rest: `${match[2] ?? ''}${match[3] ?? ''}` };
}

/** Builds the aesgcm:// link for an uploaded file's https:// GET URL. */
export function formatAesgcmUrl(httpsUrl: string, key: Uint8Array, iv: Uint8Array): string {
  const parts = splitUrl(httpsUrl);
  if (!parts || parts.scheme !== 'https' || parts.rest.includes('#')) {
    throw new HushError('UnsupportedContent', 'Expected an https:// URL without a fragment.');
  }
  if (key.length !== AESGCM_KEY_BYTES || !ACCEPTED_IV_BYTES.includes(iv.length)) {
    throw new HushError('UnsupportedContent', 'The file key or IV has the wrong length.');
  }
  return `aesgcm://${parts.rest}#${toHex(iv)}${toHex(key)}`;
}

/** Reads an aesgcm:// link; anything malformed is an UnsupportedContent error. */
export function parseAesgcmUrl(link: string): AesgcmLink {
  const parts = typeof link === 'string' ? splitUrl(link.trim()) : undefined;
  const hash = parts?.rest.indexOf('#') ?? -1;
  if (!parts || parts.scheme !== 'aesgcm' || hash < 0) {
    throw new HushError('UnsupportedContent', 'Not an aesgcm:// link with a key.');
  }
  const fragment = parts.rest.slice(hash + 1);
  if (!HEX_FRAGMENT.test(fragment)) {
    throw new HushError('UnsupportedContent', 'The aesgcm:// link carries no valid IV and key.');
  }
  const ivHexLength = fragment.length - 2 * AESGCM_KEY_BYTES;
  return {
    url: `https://${parts.rest.slice(0, hash)}`,
    iv: fromHex(fragment.slice(0, ivHexLength)),
    key: fromHex(fragment.slice(ivHexLength)),
  };
}
