// XEP-0384 OMEMO Encryption (legacy 0.3, eu.siacs.conversations.axolotl) — https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
// A crypto provider for @privacyresearch/libsignal-protocol-typescript 0.0.16 on @noble/* (pure JS,
// same code on Node, browsers and React Native; measured ~5× faster than the library's WebCrypto +
// emscripten defaults).
//
// What the library calls, read from lib/internal/crypto.js and lib/internal/curve.js (0.0.16):
// - WebCrypto: getRandomValues; subtle.importKey('raw', …) for {name:'AES-CBC'} and
//   {name:'HMAC', hash:{name:'SHA-256'}}; subtle.encrypt / subtle.decrypt AES-CBC (PKCS#7 padding);
//   subtle.sign HMAC-SHA-256; subtle.digest SHA-512. Nothing else.
// - Curve (setCurve, the AsyncCurve shape of @privacyresearch/curve25519-typescript): keyPair,
//   sharedSecret, sign, verify. Public keys reach it as 32 raw bytes (the library strips the 0x05).
//   verify() returns TRUE FOR AN INVALID signature (the library throws when it gets true).
// Signatures follow libsignal's curve25519_sign (curve_sigs.c): an Ed25519 signature made with the
// X25519 private key as the scalar, the Edwards public key's sign bit stored in the top bit of S, and
// a deterministic nonce SHA-512(0xFE‖0xFF×31‖key‖message) as in crypto_sign_modified. The library's
// wasm build derives its nonce differently (its random argument is left unset), so the bytes differ
// from its own signatures, but each side verifies the other's (crypto-provider.test.ts): the
// verifier, which is what every OMEMO 0.3 client runs, is the same equation.
//
// Randomness: without crypto.getRandomValues the library falls back to msrcrypto, seeded from
// Math.random. installNobleCrypto therefore takes an injected source or the platform CSPRNG and
// otherwise throws: never a weaker fallback.
//
// The library keeps its primitives in module-level state, so installing is process-wide by nature;
// installNobleCrypto is idempotent and also applies the session-record fix (session-record-fix.ts).
import { setCurve, setWebCrypto } from '@privacyresearch/libsignal-protocol-typescript';
import { cbc } from '@noble/ciphers/aes.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { HushError } from '../errors.ts';
import { installSessionRecordFix } from './session-record-fix.ts';
import type { RandomBytes } from '../util/random.ts';

export type { RandomBytes } from '../util/random.ts';

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

const { Fp, Fn } = ed25519.Point;
const SIGN_BIT = 0x80;

export function createNobleCurve(): SignalAsyncCurve {
  return {
    keyPair(privKey) {
      // Clamped exactly as curve25519-typescript does, which stores and returns the clamped key.
      const priv = new Uint8Array(privKey.slice(0));
      priv[0] = (priv[0] ?? 0) & 248;
      priv[31] = ((priv[31] ?? 0) & 127) | 64;
      return Promise.resolve({
        pubKey: toArrayBuffer(x25519.getPublicKey(priv)),
        privKey: toArrayBuffer(priv),
      });
    },
    sharedSecret(pubKey, privKey) {
      // noble throws on an all-zero result (low-order public key); curve25519-donna returned zeros.
      return Promise.resolve(
        toArrayBuffer(x25519.getSharedSecret(new Uint8Array(privKey), new Uint8Array(pubKey))),
      );
    },
    sign(privKey, message) {
      return Promise.resolve(
        toArrayBuffer(curve25519Sign(new Uint8Array(privKey), new Uint8Array(message))),
      );
    },
    verify(pubKey, message, sig) {
      return Promise.resolve(
        !curve25519SignatureIsValid(
          new Uint8Array(pubKey),
          new Uint8Array(message),
          new Uint8Array(sig),
        ),
      );
    },
  };
}

/** libsignal curve_sigs.c curve25519_sign + crypto_sign_modified, deterministic. */
function curve25519Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  const scalar = Fn.create(bytesToNumberLE(privateKey));
  const edPublicKey = ed25519.Point.BASE.multiply(scalar).toBytes();
  const prefix = new Uint8Array(32).fill(0xff);
  prefix[0] = 0xfe;
  const nonce = Fn.create(bytesToNumberLE(sha512(concat(prefix, privateKey, message))));
  const r = ed25519.Point.BASE.multiply(nonce).toBytes();
  const h = Fn.create(bytesToNumberLE(sha512(concat(r, edPublicKey, message))));
  const s = Fn.add(Fn.mul(h, scalar), nonce);
  const signature = concat(r, numberToBytesLE(s, 32));
  signature[63] = (signature[63] ?? 0) | ((edPublicKey[31] ?? 0) & SIGN_BIT);
  return signature;
}

/** libsignal curve25519_verify: Montgomery u → Edwards y = (u−1)/(u+1), sign bit from the signature. */
function curve25519SignatureIsValid(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const u = Fp.create(bytesToNumberLE(publicKey) & ((1n << 255n) - 1n));
    const y = Fp.mul(Fp.sub(u, Fp.ONE), Fp.inv(Fp.add(u, Fp.ONE)));
    const edPublicKey = numberToBytesLE(y, 32);
    edPublicKey[31] = ((edPublicKey[31] ?? 0) & 0x7f) | ((signature[63] ?? 0) & SIGN_BIT);
    const plainSignature = signature.slice();
    plainSignature[63] = (plainSignature[63] ?? 0) & 0x7f;
    return ed25519.verify(plainSignature, message, edPublicKey, { zip215: false });
  } catch {
    return false; // malformed key or signature (including u = −1): invalid, never an exception
  }
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
  setCurve(createNobleCurve() as Parameters<typeof setCurve>[0]);
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

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
