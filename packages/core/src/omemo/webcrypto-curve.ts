// X25519 and Ed25519 from the platform's WebCrypto where it has them (Node 22, current Chromium,
// Firefox and Safari), @noble elsewhere (React Native). A ratchet step is one key pair and two X25519
// agreements; on Node, WebCrypto (OpenSSL) does each ~4x faster than @noble's Montgomery ladder.
// A platform may install a native X25519 that answers synchronously (installNativeX25519: the CLI
// installs node:crypto's): WebCrypto's deriveBits runs on a worker thread, and on a busy machine the
// wait for that thread, twice per message that takes a ratchet step, costs more than the
// agreement itself. It is checked with the same known answers before it is used.
//
// WebCrypto is probed once per platform, asynchronously, with the RFC 7748 §6.1 and RFC 8032 §7.1
// test vectors: a platform that names the algorithm but answers wrongly is not used. The answer is
// cached; the curve handed to libsignal awaits it on first use, so installing stays synchronous.
// libsignal-protocol-typescript awaits every curve call (internal/crypto.js, internal/curve.js:
// AsyncCurve), so an asynchronous curve costs it nothing.
//
// Signing stays on @noble on every platform: XEdDSA signs with the X25519 scalar itself, and
// WebCrypto's Ed25519 only signs with a seed it hashes. Verification runs every check of xeddsa.ts
// first (canonical key and S, no small-order points) and gives only the equation to WebCrypto.
import { decodeBase64Lenient } from '../util/base64.ts';
import {
  checkEd25519Signature,
  checkXeddsaSignature,
  signXeddsa,
  verifyEd25519,
  verifyXeddsa,
  x25519PublicKey,
  type CheckedSignature,
} from './xeddsa.ts';
import { x25519 } from '@noble/curves/ed25519.js';
import { installedNativeX25519, type NativeX25519 } from './native-x25519.ts';
import { concatBytes } from '../util/bytes.ts';

/** The subset of SubtleCrypto used here. */
interface Subtle {
  importKey(
    format: 'raw' | 'pkcs8',
    keyData: Uint8Array,
    algorithm: { name: string },
    extractable: boolean,
    usages: string[],
  ): Promise<unknown>;
  exportKey(format: 'jwk', key: unknown): Promise<{ x?: string }>;
  deriveBits(
    algorithm: { name: string; public: unknown },
    key: unknown,
    length: number,
  ): Promise<ArrayBuffer>;
  verify(
    algorithm: { name: string },
    key: unknown,
    signature: Uint8Array,
    data: Uint8Array,
  ): Promise<boolean>;
}

/** What the platform runs natively; everything else runs on @noble. */
export interface PlatformCurveSupport {
  readonly x25519: boolean;
  readonly ed25519: boolean;
}

/** The curve operations Hush needs, on the fastest implementation the platform has. */
export interface CurveBackend {
  readonly support: PlatformCurveSupport;
  /** Clamps (RFC 7748) and returns the clamped private key and its public key. */
  keyPair(privateKey: Uint8Array): Promise<{ privateKey: Uint8Array; publicKey: Uint8Array }>;
  /** X25519; throws on an all-zero result (a small-order public key). */
  agree(privateKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array>;
  signXeddsa(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  verifyXeddsa(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  verifyEd25519(
    edPublicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean>;
}

// PKCS #8 (RFC 8410) headers for a 32-byte X25519 / Ed25519 private key.
const X25519_PKCS8 = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

const hex = (text: string) =>
  Uint8Array.from(text.match(/../g) ?? [], (byte) => parseInt(byte, 16));
// RFC 7748 §6.1 (Alice's private key, Bob's public key, their shared secret); RFC 8032 §7.1 TEST 1.
const RFC7748 = {
  alicePrivate: hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'),
  alicePublic: hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'),
  bobPublic: hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'),
  shared: hex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'),
};
const RFC8032 = {
  publicKey: hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),
  signature: hex(
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  ),
};

export function clampX25519(privateKey: Uint8Array): Uint8Array {
  const clamped = privateKey.slice();
  clamped[0] = (clamped[0] ?? 0) & 248;
  clamped[31] = ((clamped[31] ?? 0) & 127) | 64;
  return clamped;
}

const nativeChecked = new WeakMap<NativeX25519, boolean>();

/** The installed native X25519 when it gives RFC 7748's known answers (checked once). */
function workingNativeX25519(): NativeX25519 | undefined {
  const native = installedNativeX25519();
  if (!native) return undefined;
  let works = nativeChecked.get(native);
  if (works === undefined) nativeChecked.set(native, (works = nativeAnswersRight(native)));
  return works ? native : undefined;
}

function nativeAnswersRight(native: NativeX25519): boolean {
  try {
    const clamped = clampX25519(RFC7748.alicePrivate);
    return (
      sameBytes(native.publicKey(clamped), RFC7748.alicePublic) &&
      sameBytes(native.agree(clamped, RFC7748.bobPublic), RFC7748.shared)
    );
  } catch {
    return false;
  }
}

function nativeAgree(native: NativeX25519, privateKey: Uint8Array, publicKey: Uint8Array) {
  let shared: Uint8Array;
  try {
    shared = native.agree(privateKey, publicKey);
  } catch {
    throw new LowOrderAgreement();
  }
  if (shared.length !== 32 || allZero(shared)) throw new LowOrderAgreement();
  return shared;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function allZero(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}

class LowOrderAgreement extends Error {
  constructor() {
    super('X25519 with a small-order public key (all-zero shared secret)');
    this.name = 'LowOrderAgreement';
  }
}

async function webX25519PublicKey(subtle: Subtle, clamped: Uint8Array): Promise<Uint8Array> {
  const key = await subtle.importKey(
    'pkcs8',
    concatBytes(X25519_PKCS8, clamped),
    { name: 'X25519' },
    true,
    ['deriveBits'],
  );
  const { x } = await subtle.exportKey('jwk', key);
  const publicKey = decodeBase64Lenient((x ?? '').replace(/-/g, '+').replace(/_/g, '/'));
  if (publicKey?.length !== 32) throw new Error('WebCrypto exported no X25519 public key');
  return publicKey;
}

// A ratchet step uses each key twice (the new remote key with the old and the new own key, the
// new own key again on the next step): the last few imports are kept, keyed by the key's bytes.
// Private ones stay non-extractable; the raw bytes they come from are in the session record anyway.
const IMPORTS_KEPT = 8;
const imports = new Map<string, Promise<unknown>>();

function imported(subtle: Subtle, format: 'pkcs8' | 'raw', key: Uint8Array): Promise<unknown> {
  let id = format;
  for (const byte of key) id += byte.toString(16).padStart(2, '0');
  const known = imports.get(id);
  if (known) {
    imports.delete(id);
    imports.set(id, known);
    return known;
  }
  const fresh =
    format === 'pkcs8'
      ? subtle.importKey('pkcs8', concatBytes(X25519_PKCS8, key), { name: 'X25519' }, false, [
          'deriveBits',
        ])
      : subtle.importKey('raw', key, { name: 'X25519' }, true, []);
  // A failed import is not kept: the next call tries again (and fails the same way).
  fresh.catch(() => imports.delete(id));
  imports.set(id, fresh);
  if (imports.size > IMPORTS_KEPT) imports.delete(imports.keys().next().value ?? '');
  return fresh;
}

async function webX25519(
  subtle: Subtle,
  privateKey: Uint8Array,
  publicKey: Uint8Array,
): Promise<Uint8Array> {
  const [own, their] = await Promise.all([
    imported(subtle, 'pkcs8', privateKey),
    imported(subtle, 'raw', publicKey),
  ]);
  let shared: Uint8Array;
  try {
    shared = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: their }, own, 256));
  } catch {
    // WebCrypto refuses an all-zero result with an OperationError; the same refusal as @noble's.
    throw new LowOrderAgreement();
  }
  if (allZero(shared)) throw new LowOrderAgreement();
  return shared;
}

async function webEquation(
  subtle: Subtle,
  checked: CheckedSignature,
  message: Uint8Array,
): Promise<boolean> {
  const key = await subtle.importKey('raw', checked.edPublicKey, { name: 'Ed25519' }, false, [
    'verify',
  ]);
  return subtle.verify({ name: 'Ed25519' }, key, checked.signature, message);
}

async function probe(subtle: Subtle | undefined): Promise<PlatformCurveSupport> {
  if (!subtle) return { x25519: false, ed25519: false };
  const x25519Works = await (async () => {
    const publicKey = await webX25519PublicKey(subtle, clampX25519(RFC7748.alicePrivate));
    const shared = await webX25519(subtle, clampX25519(RFC7748.alicePrivate), RFC7748.bobPublic);
    return sameBytes(publicKey, RFC7748.alicePublic) && sameBytes(shared, RFC7748.shared);
  })().catch(() => false);
  const ed25519Works = await (async () => {
    const key = await subtle.importKey('raw', RFC8032.publicKey, { name: 'Ed25519' }, false, [
      'verify',
    ]);
    const good = await subtle.verify(
      { name: 'Ed25519' },
      key,
      RFC8032.signature,
      new Uint8Array(0),
    );
    const bad = await subtle.verify({ name: 'Ed25519' }, key, RFC8032.signature, new Uint8Array(1));
    return good && !bad;
  })().catch(() => false);
  return { x25519: x25519Works, ed25519: ed25519Works };
}

function platformSubtle(): Subtle | undefined {
  const crypto = (globalThis as { crypto?: { subtle?: unknown } }).crypto;
  return crypto?.subtle ? (crypto.subtle as Subtle) : undefined;
}

let cached: Promise<PlatformCurveSupport> | undefined;

/** What WebCrypto does here, probed once per process (known answers) and cached. */
export function probePlatformCurve(): Promise<PlatformCurveSupport> {
  cached ??= probe(platformSubtle());
  return cached;
}

/**
 * A curve backend. `use` forces an implementation (tests and benchmarks compare them side by side;
 * 'native' is the installed native X25519 with WebCrypto's Ed25519); by default the installed native
 * X25519, else WebCrypto wherever the probe found it working.
 */
export async function createCurveBackend(
  use?: 'noble' | 'webcrypto' | 'native',
): Promise<CurveBackend> {
  const subtle = platformSubtle();
  const probed = use === 'noble' ? { x25519: false, ed25519: false } : await probePlatformCurve();
  if (use === 'webcrypto' && !(probed.x25519 && probed.ed25519))
    throw new Error('This platform has no working WebCrypto X25519/Ed25519');
  const native = use === 'noble' || use === 'webcrypto' ? undefined : workingNativeX25519();
  if (use === 'native' && !native)
    throw new Error('No working native X25519 is installed on this platform');
  const support = native ? { ...probed, x25519: true } : probed;
  const web = subtle && (probed.x25519 || probed.ed25519) ? subtle : undefined;
  return {
    support,
    async keyPair(privateKey) {
      const clamped = clampX25519(privateKey);
      const publicKey = native
        ? native.publicKey(clamped)
        : web && support.x25519
          ? await webX25519PublicKey(web, clamped)
          : x25519PublicKey(clamped);
      return { privateKey: clamped, publicKey };
    },
    async agree(privateKey, publicKey) {
      if (native) return nativeAgree(native, privateKey, publicKey);
      if (web && support.x25519) return webX25519(web, privateKey, publicKey);
      let shared: Uint8Array;
      try {
        shared = x25519.getSharedSecret(privateKey, publicKey);
      } catch {
        throw new LowOrderAgreement();
      }
      if (allZero(shared)) throw new LowOrderAgreement();
      return shared;
    },
    signXeddsa,
    async verifyXeddsa(publicKey, message, signature) {
      if (!(web && support.ed25519)) return verifyXeddsa(publicKey, message, signature);
      const check = checkXeddsaSignature(publicKey, signature);
      return check.ok && (await webEquation(web, check.checked, message).catch(() => false));
    },
    async verifyEd25519(edPublicKey, message, signature) {
      if (!(web && support.ed25519)) return verifyEd25519(edPublicKey, message, signature);
      const check = checkEd25519Signature(edPublicKey, signature);
      return check.ok && (await webEquation(web, check.checked, message).catch(() => false));
    },
  };
}
