// XEP-0384 OMEMO Encryption (legacy 0.3, eu.siacs.conversations.axolotl) — https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
// A crypto provider for @privacyresearch/libsignal-protocol-typescript 0.0.16: the symmetric part
// (AES-CBC, HMAC-SHA-256, SHA-512 on a few dozen bytes a message) on @noble, the same code on
// every platform; the curve (X25519, XEdDSA verification) on the platform's WebCrypto where a
// one-time probe finds it working (webcrypto-curve.ts), @noble elsewhere (React Native).
//
// What the library calls, read from lib/internal/crypto.js and lib/internal/curve.js (0.0.16):
// - WebCrypto: getRandomValues; subtle.importKey('raw', …) for {name:'AES-CBC'} and
//   {name:'HMAC', hash:{name:'SHA-256'}}; subtle.encrypt / subtle.decrypt AES-CBC (PKCS#7 padding);
//   subtle.sign HMAC-SHA-256; subtle.digest SHA-512. Nothing else. All of it awaited.
// - Curve (setCurve, the AsyncCurve shape of @privacyresearch/curve25519-typescript): keyPair,
//   sharedSecret, sign, verify, each awaited. Public keys reach it as 32 raw bytes (the library
//   strips the 0x05). verify() returns TRUE FOR AN INVALID signature (the library throws when it
//   gets true).
// Signatures: xeddsa.ts (libsignal's curve25519_sign; verification refuses non-canonical keys and S,
// and small-order points). They are checked against libsignal's own build, Debian's python3-xeddsa
// and libsignal's published vectors in crypto-provider.test.ts and xeddsa.test.ts.
//
// Randomness: without crypto.getRandomValues the library falls back to msrcrypto, seeded from
// Math.random. installNobleCrypto therefore takes an injected source or the platform CSPRNG and
// otherwise throws: never a weaker fallback.
//
// The library keeps its primitives in module-level state, so installing is process-wide by nature;
// installNobleCrypto is idempotent and also applies the session-record fix (session-record-fix.ts).
import { setCurve, setWebCrypto } from '@privacyresearch/libsignal-protocol-typescript';
import { cbc } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { HushError } from '../errors.ts';
import { installSessionRecordFix } from './session-record-fix.ts';
import { createCurveBackend, type CurveBackend } from './webcrypto-curve.ts';
import type { RandomBytes } from '../util/random.ts';

export type { RandomBytes } from '../util/random.ts';
// Curve primitives for other protocol versions (OMEMO 2 signs and verifies with Ed25519 keys).
export { signXeddsa, verifyEd25519, verifyXeddsa } from './xeddsa.ts';
export {
  createCurveBackend,
  probePlatformCurve,
  type CurveBackend,
  type PlatformCurveSupport,
} from './webcrypto-curve.ts';
export { installNativeX25519, type NativeX25519 } from './native-x25519.ts';

export type OmemoCryptoFailure = 'NoRandomSource' | 'RandomSourceFailed' | 'UnsupportedAlgorithm';

/** The OMEMO crypto layer cannot run safely ('ProtocolError' to a UI); `reason` for logs and tests. */
export class OmemoCryptoError extends HushError {
  readonly reason: OmemoCryptoFailure;

  constructor(reason: OmemoCryptoFailure, message: string) {
    super('ProtocolError', message);
    this.name = 'OmemoCryptoError';
    this.reason = reason;
  }
}

export interface NobleCryptoOptions {
  /** A CSPRNG; without it, globalThis.crypto.getRandomValues; without both, installing throws. */
  readonly randomBytes?: RandomBytes;
}

/** The shape of @privacyresearch/curve25519-typescript's AsyncCurve, which setCurve takes. */
export interface SignalAsyncCurve {
  keyPair(privKey: ArrayBuffer): Promise<{ pubKey: ArrayBuffer; privKey: ArrayBuffer }>;
  sharedSecret(pubKey: ArrayBuffer, privKey: ArrayBuffer): Promise<ArrayBuffer>;
  sign(privKey: ArrayBuffer, message: ArrayBuffer): Promise<ArrayBuffer>;
  /** Inverted, as in the library: true means the signature is INVALID. */
  verify(pubKey: ArrayBuffer, message: ArrayBuffer, sig: ArrayBuffer): Promise<boolean>;
}

/** The part of WebCrypto the library uses. */
export interface SignalWebCrypto {
  getRandomValues<T extends ArrayBufferView>(array: T): T;
  readonly subtle: {
    importKey(
      format: string,
      keyData: BufferSource,
      algorithm: AlgorithmName,
      extractable: boolean,
      usages: readonly string[],
    ): Promise<NobleKey>;
    encrypt(
      algorithm: { name: string; iv: BufferSource },
      key: NobleKey,
      data: BufferSource,
    ): Promise<ArrayBuffer>;
    decrypt(
      algorithm: { name: string; iv: BufferSource },
      key: NobleKey,
      data: BufferSource,
    ): Promise<ArrayBuffer>;
    sign(algorithm: AlgorithmName, key: NobleKey, data: BufferSource): Promise<ArrayBuffer>;
    digest(algorithm: AlgorithmName, data: BufferSource): Promise<ArrayBuffer>;
  };
}

type BufferSource = ArrayBuffer | ArrayBufferView;
type AlgorithmName =
  string | { readonly name: string; readonly hash?: string | { readonly name: string } };
interface NobleKey {
  readonly kind: 'AES-CBC' | 'HMAC-SHA-256';
  readonly raw: Uint8Array;
}

/** An injected source, else the platform CSPRNG, else an OmemoCryptoError. */
export function resolveRandomBytes(randomBytes?: RandomBytes): RandomBytes {
  if (randomBytes) return randomBytes;
  const crypto = (globalThis as { crypto?: { getRandomValues?: (array: Uint8Array) => unknown } })
    .crypto;
  const getRandomValues = crypto?.getRandomValues;
  if (typeof getRandomValues !== 'function') {
    throw new OmemoCryptoError(
      'NoRandomSource',
      'This platform has no secure random source (crypto.getRandomValues); OMEMO cannot run safely.',
    );
  }
  return (length) => {
    const bytes = new Uint8Array(length);
    getRandomValues.call(crypto, bytes);
    return bytes;
  };
}

export function createNobleWebCrypto(randomBytes: RandomBytes): SignalWebCrypto {
  return {
    getRandomValues(array) {
      const target = toBytes(array);
      const bytes = randomBytes(target.length);
      if (!(bytes instanceof Uint8Array) || bytes.length !== target.length) {
        throw new OmemoCryptoError(
          'RandomSourceFailed',
          'The random source returned the wrong number of bytes.',
        );
      }
      target.set(bytes);
      return array;
    },
    subtle: {
      importKey(format, keyData, algorithm) {
        const name = algorithmName(algorithm);
        const hash = typeof algorithm === 'object' ? algorithm.hash : undefined;
        const raw = toBytes(keyData).slice();
        if (format === 'raw' && name === 'AES-CBC')
          return Promise.resolve({ kind: 'AES-CBC', raw });
        if (
          format === 'raw' &&
          name === 'HMAC' &&
          hash !== undefined &&
          algorithmName(hash) === 'SHA-256'
        ) {
          return Promise.resolve({ kind: 'HMAC-SHA-256', raw });
        }
        return Promise.reject(unsupported(`importKey ${format} ${name}`));
      },
      encrypt(algorithm, key, data) {
        if (algorithm.name !== 'AES-CBC' || key.kind !== 'AES-CBC')
          return Promise.reject(unsupported('encrypt'));
        return Promise.resolve(
          toArrayBuffer(cbc(key.raw, toBytes(algorithm.iv).slice()).encrypt(toBytes(data))),
        );
      },
      decrypt(algorithm, key, data) {
        if (algorithm.name !== 'AES-CBC' || key.kind !== 'AES-CBC')
          return Promise.reject(unsupported('decrypt'));
        try {
          return Promise.resolve(
            toArrayBuffer(cbc(key.raw, toBytes(algorithm.iv).slice()).decrypt(toBytes(data))),
          );
        } catch (error) {
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
      },
      sign(algorithm, key, data) {
        if (algorithmName(algorithm) !== 'HMAC' || key.kind !== 'HMAC-SHA-256')
          return Promise.reject(unsupported('sign'));
        return Promise.resolve(toArrayBuffer(hmac(sha256, key.raw, toBytes(data))));
      },
      digest(algorithm, data) {
        if (algorithmName(algorithm) !== 'SHA-512') return Promise.reject(unsupported('digest'));
        return Promise.resolve(toArrayBuffer(sha512(toBytes(data))));
      },
    },
  };
}

/** The curve on @noble alone, on every platform (React Native's, and the reference in tests). */
export function createNobleCurve(): SignalAsyncCurve {
  return signalCurve(() => nobleBackend);
}

/**
 * The curve on the platform's WebCrypto X25519/Ed25519 where a one-time probe (known answers) found
 * them working, @noble otherwise; the first call awaits the probe.
 */
export function createPlatformCurve(): SignalAsyncCurve {
  let backend: Promise<CurveBackend> | undefined;
  return signalCurve(() => (backend ??= createCurveBackend()));
}

const nobleBackend = createCurveBackend('noble');

function signalCurve(backend: () => Promise<CurveBackend>): SignalAsyncCurve {
  return {
    async keyPair(privKey) {
      // Clamped exactly as curve25519-typescript does, which stores and returns the clamped key.
      const { privateKey, publicKey } = await (await backend()).keyPair(new Uint8Array(privKey));
      return { pubKey: toArrayBuffer(publicKey), privKey: toArrayBuffer(privateKey) };
    },
    async sharedSecret(pubKey, privKey) {
      // Refuses an all-zero result (a small-order public key); curve25519-donna returned zeros.
      const shared = await (await backend()).agree(new Uint8Array(privKey), new Uint8Array(pubKey));
      return toArrayBuffer(shared);
    },
    async sign(privKey, message) {
      const signature = (await backend()).signXeddsa(
        new Uint8Array(privKey),
        new Uint8Array(message),
      );
      return toArrayBuffer(signature);
    },
    async verify(pubKey, message, sig) {
      const valid = await (
        await backend()
      ).verifyXeddsa(new Uint8Array(pubKey), new Uint8Array(message), new Uint8Array(sig));
      return !valid; // inverted, as the library expects
    },
  };
}

let installed = false;

/**
 * Swap the library's WebCrypto and curve for the noble ones and fix the session-record growth bug.
 * Checks the random source on every call (so a platform without one always gets the error), installs
 * only once.
 */
export function installNobleCrypto(options: NobleCryptoOptions = {}): void {
  const randomBytes = resolveRandomBytes(options.randomBytes);
  if (installed) return;
  // The library's .d.ts types these as the DOM's Crypto and curve25519-typescript's AsyncCurve; ours
  // implement exactly the members it calls (listed at the top), so the casts are only about the names.
  setWebCrypto(createNobleWebCrypto(randomBytes) as unknown as Parameters<typeof setWebCrypto>[0]);
  setCurve(createPlatformCurve() as Parameters<typeof setCurve>[0]);
  installSessionRecordFix();
  installed = true;
}

function unsupported(what: string): OmemoCryptoError {
  return new OmemoCryptoError(
    'UnsupportedAlgorithm',
    `The noble OMEMO provider does not implement ${what}.`,
  );
}

function algorithmName(algorithm: AlgorithmName): string {
  return typeof algorithm === 'string' ? algorithm : algorithm.name;
}

function toBytes(data: BufferSource): Uint8Array {
  return data instanceof ArrayBuffer
    ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The bytes as an ArrayBuffer for the library: a fresh array's own buffer as is, else a copy. */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const { buffer } = bytes;
  if (
    buffer instanceof ArrayBuffer &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === buffer.byteLength
  )
    return buffer;
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}
