// XEP-0384 OMEMO Encryption (OMEMO 2) §4.2-4.3 — https://xmpp.org/extensions/xep-0384.html
// The Double Ratchet (https://signal.org/docs/specifications/doubleratchet/) with OMEMO 2's choices,
// as python-doubleratchet and python-twomemo implement them (interop.test.ts passes messages both
// ways with twomemo):
// - root chain: HKDF-SHA-256, salt = root key, input = the X25519 output, info "OMEMO Root Chain",
//   64 bytes -> new root key, new chain key;
// - message chains: message key = HMAC-SHA-256(chain key, 0x01), next chain key = HMAC(…, 0x02);
// - message keys: HKDF-SHA-256, salt 32 zero bytes, info "OMEMO Message Key Material", 80 bytes ->
//   AES-256 key, HMAC key, CBC IV; AES-256-CBC with PKCS#7; the MAC is HMAC-SHA-256 over the
//   associated data (both Ed25519 identity keys, the sender's first) and the serialized
//   OMEMOMessage, cut to 16 bytes, carried in an OMEMOAuthenticatedMessage;
// - at most MAX_SKIPPED message keys are kept for messages still on their way, and no message may
//   make more than that be derived.
// libsignal-protocol-typescript's session machinery cannot be reused: its KDF info strings
// ("WhisperRatchet", "WhisperMessageKeys"), its message framing (version byte, 8-byte MAC over the
// identity keys) and its X3DH (33-byte keys, XEdDSA) are OMEMO 0.3's, fixed in the library.
// The state is plain JSON (base64 for bytes); every step works on a copy and hands back the new
// state, so a message that fails to decrypt changes nothing.
// X25519 runs on a RatchetCurve (sessions.ts passes ../omemo/webcrypto-curve.ts's backend: the
// platform's WebCrypto where a probe found it working, @noble elsewhere, as 0.3's curve). A DH
// ratchet step's agreements are made first, then the synchronous step uses them; the functions
// without a curve (startActive, startPassive, ratchetDecrypt) make them on @noble, synchronously.
import { x25519 } from '@noble/curves/ed25519.js';
import { cbc } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HushError } from '../errors.ts';
import { decodeBase64, encodeBase64 } from '../util/base64.ts';
import type { RandomBytes } from '../util/random.ts';
import { equalBytes } from '../omemo/bytes.ts';
import { clampX25519, type CurveBackend } from '../omemo/webcrypto-curve.ts';
import { readAuthenticated, readMessage, writeAuthenticated, writeMessage } from './proto.ts';
import { concatBytes } from '../util/bytes.ts';

const ROOT_INFO = new TextEncoder().encode('OMEMO Root Chain');
const MESSAGE_KEY_INFO = new TextEncoder().encode('OMEMO Message Key Material');
const ZERO_SALT = new Uint8Array(32);
const MAC_LENGTH = 16;
/** Message keys kept for late messages, per session, and derived at most for one message. */
export const MAX_SKIPPED = 1000;

/** A session's ratchet, as stored. */
export interface RatchetState {
  readonly rootKey: string;
  readonly ownPriv: string;
  readonly ownPub: string;
  readonly otherPub: string;
  readonly sendChain: string;
  readonly sendN: number;
  readonly previousSendN: number;
  readonly receiveChain?: string;
  readonly receiveN: number;
  /** Keys of messages skipped over: the ratchet key they were sent under, their number, the key. */
  readonly skipped: readonly { readonly pub: string; readonly n: number; readonly key: string }[];
}

/** The ratchet failed for a reason a peer's message caused: the message is undecryptable. */
export class RatchetError extends HushError {
  /** The message was decrypted before: its key is used up (a copy, or the archive's). */
  readonly duplicate: boolean;

  constructor(message: string, options: { duplicate?: boolean } = {}) {
    super('Undecryptable', message);
    this.name = 'RatchetError';
    this.duplicate = options.duplicate ?? false;
  }
}

const b64 = encodeBase64;
function bytes(text: string): Uint8Array {
  const decoded = decodeBase64(text);
  if (!decoded) throw new HushError('ProtocolError', 'A stored OMEMO 2 session is damaged.');
  return decoded;
}

function rootStep(rootKey: Uint8Array, dh: Uint8Array): [Uint8Array, Uint8Array] {
  const out = hkdf(sha256, dh, rootKey, ROOT_INFO, 64);
  return [out.subarray(0, 32), out.subarray(32, 64)];
}

function chainStep(chainKey: Uint8Array): [next: Uint8Array, messageKey: Uint8Array] {
  return [hmac(sha256, chainKey, Uint8Array.of(2)), hmac(sha256, chainKey, Uint8Array.of(1))];
}

function messageKeys(key: Uint8Array): { aes: Uint8Array; mac: Uint8Array; iv: Uint8Array } {
  const out = hkdf(sha256, key, ZERO_SALT, MESSAGE_KEY_INFO, 80);
  return { aes: out.subarray(0, 32), mac: out.subarray(32, 64), iv: out.subarray(64, 80) };
}

/** The X25519 operations a ratchet needs, possibly asynchronous (WebCrypto's are). */
export type RatchetCurve = Pick<CurveBackend, 'keyPair' | 'agree'>;

/** A new own ratchet key pair and its agreement with the peer's ratchet key. */
interface FreshKey {
  readonly priv: Uint8Array;
  readonly pub: Uint8Array;
  readonly shared: Uint8Array;
}

/** The X25519 part of a DH ratchet step on receiving `theirPub`, made before the step itself. */
interface StepKeys {
  /** The old own ratchet key with the peer's new one: the new receiving chain. */
  readonly received: Uint8Array;
  /** The new own ratchet key: the new sending chain. */
  readonly fresh: FreshKey;
}

/** X25519 on @noble; an agreement that fails (a small-order key) is a RatchetError. */
function nobleAgree(priv: Uint8Array, pub: Uint8Array): Uint8Array {
  try {
    return x25519.getSharedSecret(priv, pub);
  } catch (error) {
    throw agreementFailed(error);
  }
}

function nobleFresh(theirPub: Uint8Array, randomBytes: RandomBytes): FreshKey {
  const priv = randomBytes(32);
  return { priv, pub: x25519.getPublicKey(priv), shared: nobleAgree(priv, theirPub) };
}

async function agreeOn(curve: RatchetCurve, priv: Uint8Array, pub: Uint8Array) {
  try {
    return await curve.agree(priv, pub);
  } catch (error) {
    throw agreementFailed(error);
  }
}

async function freshOn(
  curve: RatchetCurve,
  theirPub: Uint8Array,
  randomBytes: RandomBytes,
): Promise<FreshKey> {
  // Clamped once here, so the key pair and the agreement use (and cache) the same private key.
  const priv = clampX25519(randomBytes(32));
  const [pair, shared] = await Promise.all([curve.keyPair(priv), agreeOn(curve, priv, theirPub)]);
  return { priv, pub: pair.publicKey, shared };
}

function agreementFailed(error: unknown): RatchetError {
  return new RatchetError(
    `An OMEMO 2 key agreement failed: ${error instanceof Error ? error.message : String(error)}`,
  );
}

function activeFrom(
  sharedSecret: Uint8Array,
  theirSignedPreKey: Uint8Array,
  fresh: FreshKey,
): RatchetState {
  const [rootKey, sendChain] = rootStep(sharedSecret, fresh.shared);
  return {
    rootKey: b64(rootKey),
    ownPriv: b64(fresh.priv),
    ownPub: b64(fresh.pub),
    otherPub: b64(theirSignedPreKey),
    sendChain: b64(sendChain),
    sendN: 0,
    previousSendN: 0,
    receiveN: 0,
    skipped: [],
  };
}

/** The initiator's ratchet after X3DH: its first sending chain uses the peer's signed prekey. */
export function startActive(
  sharedSecret: Uint8Array,
  theirSignedPreKey: Uint8Array,
  randomBytes: RandomBytes,
): RatchetState {
  return activeFrom(sharedSecret, theirSignedPreKey, nobleFresh(theirSignedPreKey, randomBytes));
}

/** startActive with X25519 on `curve`. */
export async function startActiveOn(
  curve: RatchetCurve,
  sharedSecret: Uint8Array,
  theirSignedPreKey: Uint8Array,
  randomBytes: RandomBytes,
): Promise<RatchetState> {
  const fresh = await freshOn(curve, theirSignedPreKey, randomBytes);
  return activeFrom(sharedSecret, theirSignedPreKey, fresh);
}

function passiveFrom(
  sharedSecret: Uint8Array,
  theirRatchetPub: Uint8Array,
  { received, fresh }: StepKeys,
): RatchetState {
  const [root1, receiveChain] = rootStep(sharedSecret, received);
  const [rootKey, sendChain] = rootStep(root1, fresh.shared);
  return {
    rootKey: b64(rootKey),
    ownPriv: b64(fresh.priv),
    ownPub: b64(fresh.pub),
    otherPub: b64(theirRatchetPub),
    sendChain: b64(sendChain),
    sendN: 0,
    previousSendN: 0,
    receiveChain: b64(receiveChain),
    receiveN: 0,
    skipped: [],
  };
}

/** The responder's ratchet: its signed prekey is its first ratchet key, the sender's key the other. */
export function startPassive(
  sharedSecret: Uint8Array,
  signedPreKeyPriv: Uint8Array,
  theirRatchetPub: Uint8Array,
  randomBytes: RandomBytes,
): RatchetState {
  return passiveFrom(sharedSecret, theirRatchetPub, {
    received: nobleAgree(signedPreKeyPriv, theirRatchetPub),
    fresh: nobleFresh(theirRatchetPub, randomBytes),
  });
}

/** startPassive with X25519 on `curve`. */
export async function startPassiveOn(
  curve: RatchetCurve,
  sharedSecret: Uint8Array,
  signedPreKeyPriv: Uint8Array,
  theirRatchetPub: Uint8Array,
  randomBytes: RandomBytes,
): Promise<RatchetState> {
  const [received, fresh] = await Promise.all([
    agreeOn(curve, signedPreKeyPriv, theirRatchetPub),
    freshOn(curve, theirRatchetPub, randomBytes),
  ]);
  return passiveFrom(sharedSecret, theirRatchetPub, { received, fresh });
}

/** Encrypts `plaintext` (the key and MAC of a payload): a serialized OMEMOAuthenticatedMessage. */
export function ratchetEncrypt(
  state: RatchetState,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): { state: RatchetState; message: Uint8Array } {
  const [nextChain, key] = chainStep(bytes(state.sendChain));
  const { aes, mac, iv } = messageKeys(key);
  const message = writeMessage({
    n: state.sendN,
    pn: state.previousSendN,
    dhPub: bytes(state.ownPub),
    ciphertext: cbc(aes, iv).encrypt(plaintext),
  });
  const tag = hmac(sha256, mac, concatBytes(associatedData, message)).subarray(0, MAC_LENGTH);
  return {
    state: { ...state, sendChain: b64(nextChain), sendN: state.sendN + 1 },
    message: writeAuthenticated({ mac: tag, message }),
  };
}

function open(key: Uint8Array, authenticated: Uint8Array, ad: Uint8Array, body: Uint8Array) {
  const { aes, mac, iv } = messageKeys(key);
  const tag = hmac(sha256, mac, concatBytes(ad, authenticated)).subarray(0, MAC_LENGTH);
  return { tag, decrypt: () => cbc(aes, iv).decrypt(body) };
}

interface Parsed {
  readonly mac: Uint8Array;
  /** The serialized OMEMOMessage, which the MAC covers. */
  readonly message: Uint8Array;
  readonly n: number;
  readonly pn: number;
  readonly dhPub: Uint8Array;
  readonly pub: string;
  readonly ciphertext: Uint8Array;
}

function parse(authenticated: Uint8Array): Parsed {
  const outer = readAuthenticated(authenticated);
  const inner = outer && readMessage(outer.message);
  if (!outer || !inner?.ciphertext || inner.dhPub.length !== 32) {
    throw new RatchetError('The OMEMO 2 message is malformed.');
  }
  const { n, pn, dhPub, ciphertext } = inner;
  return { mac: outer.mac, message: outer.message, n, pn, dhPub, pub: b64(dhPub), ciphertext };
}

/** Whether decrypting `parsed` takes a DH ratchet step: a new ratchet key, not a skipped key's. */
function takesStep(state: RatchetState, parsed: Parsed): boolean {
  return (
    parsed.pub !== state.otherPub &&
    !state.skipped.some((s) => s.pub === parsed.pub && s.n === parsed.n)
  );
}

/**
 * Decrypts a serialized OMEMOAuthenticatedMessage. Throws RatchetError for a message that is
 * malformed, was altered, skips too far, or was decrypted before (`duplicate`).
 */
export function ratchetDecrypt(
  state: RatchetState,
  authenticated: Uint8Array,
  associatedData: Uint8Array,
  randomBytes: RandomBytes,
): { state: RatchetState; plaintext: Uint8Array } {
  const parsed = parse(authenticated);
  const step = takesStep(state, parsed)
    ? {
        received: nobleAgree(bytes(state.ownPriv), parsed.dhPub),
        fresh: nobleFresh(parsed.dhPub, randomBytes),
      }
    : undefined;
  return decryptParsed(state, parsed, associatedData, step);
}

/** ratchetDecrypt with X25519 on `curve`. */
export async function ratchetDecryptOn(
  curve: RatchetCurve,
  state: RatchetState,
  authenticated: Uint8Array,
  associatedData: Uint8Array,
  randomBytes: RandomBytes,
): Promise<{ state: RatchetState; plaintext: Uint8Array }> {
  const parsed = parse(authenticated);
  let step: StepKeys | undefined;
  if (takesStep(state, parsed)) {
    const [received, fresh] = await Promise.all([
      agreeOn(curve, bytes(state.ownPriv), parsed.dhPub),
      freshOn(curve, parsed.dhPub, randomBytes),
    ]);
    step = { received, fresh };
  }
  return decryptParsed(state, parsed, associatedData, step);
}

function decryptParsed(
  state: RatchetState,
  parsed: Parsed,
  associatedData: Uint8Array,
  step: StepKeys | undefined,
): { state: RatchetState; plaintext: Uint8Array } {
  const { ciphertext, pub } = parsed;
  const tryKey = (key: Uint8Array): Uint8Array => {
    const { tag, decrypt } = open(key, parsed.message, associatedData, ciphertext);
    if (!equalBytes(tag, parsed.mac)) {
      throw new RatchetError('The OMEMO 2 message was altered (its MAC does not match).');
    }
    try {
      return decrypt();
    } catch {
      throw new RatchetError('The OMEMO 2 message does not decrypt (bad padding).');
    }
  };
  const skippedIndex = state.skipped.findIndex((s) => s.pub === pub && s.n === parsed.n);
  if (skippedIndex >= 0) {
    const entry = state.skipped[skippedIndex];
    const plaintext = tryKey(bytes(entry?.key ?? ''));
    return {
      state: { ...state, skipped: state.skipped.filter((_, i) => i !== skippedIndex) },
      plaintext,
    };
  }
  let next: RatchetState = state;
  const skipped = [...state.skipped];
  const skipTo = (until: number): void => {
    if (next.receiveChain === undefined) return;
    if (until - next.receiveN > MAX_SKIPPED) {
      throw new RatchetError(`The OMEMO 2 message skips more than ${MAX_SKIPPED} messages.`);
    }
    let chain = bytes(next.receiveChain);
    let n = next.receiveN;
    while (n < until) {
      const [nextChain, key] = chainStep(chain);
      skipped.push({ pub: next.otherPub, n, key: b64(key) });
      chain = nextChain;
      n++;
    }
    next = { ...next, receiveChain: b64(chain), receiveN: n };
  };
  if (pub !== state.otherPub) {
    if (!step) throw new Error('A DH ratchet step without its key agreements');
    skipTo(parsed.pn);
    // A new ratchet key from the peer: a DH ratchet step, then a new sending chain.
    const [root1, receiveChain] = rootStep(bytes(next.rootKey), step.received);
    const [rootKey, sendChain] = rootStep(root1, step.fresh.shared);
    next = {
      ...next,
      rootKey: b64(rootKey),
      ownPriv: b64(step.fresh.priv),
      ownPub: b64(step.fresh.pub),
      otherPub: pub,
      sendChain: b64(sendChain),
      sendN: 0,
      previousSendN: next.sendN,
      receiveChain: b64(receiveChain),
      receiveN: 0,
    };
  }
  if (parsed.n < next.receiveN) {
    throw new RatchetError('This OMEMO 2 message was decrypted before.', { duplicate: true });
  }
  skipTo(parsed.n);
  const [chainAfter, key] = chainStep(bytes(next.receiveChain ?? ''));
  const plaintext = tryKey(key);
  next = { ...next, receiveChain: b64(chainAfter), receiveN: parsed.n + 1 };
  return { state: { ...next, skipped: skipped.slice(-MAX_SKIPPED) }, plaintext };
}
