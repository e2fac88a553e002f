// RFC 5802 SCRAM — https://www.rfc-editor.org/rfc/rfc5802
// RFC 7677 SCRAM-SHA-256 — https://www.rfc-editor.org/rfc/rfc7677
// RFC 9266 tls-exporter channel binding — https://www.rfc-editor.org/rfc/rfc9266
// SCRAM-SHA-256 and SCRAM-SHA-1 on @noble/hashes, with channel binding where the transport allows:
// the -PLUS mechanisms put the TLS session's exporter value into the proof (gs2 header
// `p=tls-exporter,,`), so a man in the middle who holds a certificate the client accepts still
// cannot relay the login: the server sees another TLS session. A client that could bind but is not
// offered -PLUS says so (`y,,`), and a server that does support binding then refuses: stripping
// -PLUS from the offer does not downgrade the login. Where the platform hides TLS (WebSocket in
// browsers and React Native), the header is `n,,`.
// A login leaves ScramKeys (ClientKey and ServerKey for the server's salt) that log in again
// without the password, so a device need not keep the password at rest.
// Why not xmpp.js's own SCRAM-SHA-1: it runs 10,000 sequential WebCrypto HMAC calls (~1 s per login),
// has no SHA-256, and is dropped from browser and React Native bundles, which then fall back to PLAIN.
// PBKDF2 runs once per login with the password, through WebCrypto's deriveBits where there is one
// (pbkdf2.ts); the HMACs around it are noble's, the same on every platform.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { sha1 } from '@noble/hashes/legacy.js';
import type { CHash } from '@noble/hashes/utils.js';
import { HushError, type HushErrorCode } from '../errors.ts';
import { decodeBase64, encodeBase64 } from '../util/base64.ts';
import { saslPrep } from './saslprep.ts';
import type { RandomBytes } from '../util/random.ts';
import { pbkdf2 } from './pbkdf2.ts';

export { decodeBase64, encodeBase64 } from '../util/base64.ts';
export { saslPrep } from './saslprep.ts';
export type { RandomBytes } from '../util/random.ts';

/** The SCRAM mechanisms Hush speaks, most preferred first. */
export const SCRAM_MECHANISMS = [
  'SCRAM-SHA-256-PLUS',
  'SCRAM-SHA-1-PLUS',
  'SCRAM-SHA-256',
  'SCRAM-SHA-1',
] as const;
export type ScramMechanismName = (typeof SCRAM_MECHANISMS)[number];

/** Whether the mechanism binds the login to the TLS session (needs a ChannelBinding). */
export function isPlusMechanism(name: string): boolean {
  return name.endsWith('-PLUS');
}

/**
 * What logging in again needs instead of the password: RFC 5802's ClientKey and ServerKey for the
 * salt and iteration count the server holds. They prove the login and check the server's signature
 * for this server only (the password itself stays unknown, and guessing it from them costs the full
 * PBKDF2 per guess); a password change on the server (new salt) makes them outdated.
 */
export interface ScramKeys {
  readonly hash: 'SHA-256' | 'SHA-1';
  /** The server's salt, base64 as it sends it. */
  readonly salt: string;
  readonly iterations: number;
  readonly clientKey: Uint8Array;
  readonly serverKey: Uint8Array;
}

function hashNameOf(mechanism: ScramMechanismName): ScramKeys['hash'] {
  return mechanism.startsWith('SCRAM-SHA-256') ? 'SHA-256' : 'SHA-1';
}

/** RFC 5056 channel binding data of the current TLS session: its type and the bytes. */
export interface ChannelBinding {
  readonly type: 'tls-exporter';
  readonly data: Uint8Array;
}

/** RFC 5802 §5.1: "the iteration count [...] SHOULD be at least 4096". Fewer makes offline guessing cheap. */
export const MIN_ITERATIONS = 4096;
/**
 * A hostile server could ask for a billion iterations and freeze the client; Prosody uses 10,000, so
 * 100 times that still leaves room for servers that raise it.
 */
export const MAX_ITERATIONS = 1_000_000;
/** 18 random bytes: 144 bits of nonce, 24 base64 characters with no padding. */
export const CLIENT_NONCE_BYTES = 18;

export type ScramFailure =
  | 'NoRandomSource'
  | 'MalformedServerMessage'
  | 'NonceMismatch'
  | 'IterationCountTooLow'
  | 'IterationCountTooHigh'
  | 'ServerSignatureMismatch'
  | 'ServerSignatureMissing'
  | 'ServerRejected'
  | 'OutOfOrder'
  | 'NoChannelBinding'
  | 'KeysOutdated';

/**
 * A SCRAM exchange that cannot go on. It is a HushError ('ProtocolError' to a UI: the server, or
 * something between it and us, misbehaved; unless `code` says what it is) with the precise
 * `reason` for logs and tests.
 */
export class ScramError extends HushError {
  readonly reason: ScramFailure;

  constructor(reason: ScramFailure, message: string, code?: HushErrorCode) {
    // Stored keys that no longer match the server's salt: only the password can log in now.
    super(code ?? (reason === 'KeysOutdated' ? 'WrongPassword' : 'ProtocolError'), message);
    this.name = 'ScramError';
    this.reason = reason;
  }
}

/**
 * RFC 5802 §7 server-error-values that are not the protocol going wrong: a wrong password (or
 * address), a bound login refused (someone between holds a certificate for the server, as in
 * login.ts), a server out of resources for now.
 */
const SERVER_ERRORS: ReadonlyMap<string, HushErrorCode> = new Map([
  ['invalid-proof', 'WrongPassword'],
  ['unknown-user', 'WrongPassword'],
  ['channel-bindings-dont-match', 'CertificateUntrusted'],
  ['no-resources', 'ServerUnreachable'],
]);

type Hash = CHash;
const HASHES: Record<ScramMechanismName, Hash> = {
  'SCRAM-SHA-256-PLUS': sha256,
  'SCRAM-SHA-1-PLUS': sha1,
  'SCRAM-SHA-256': sha256,
  'SCRAM-SHA-1': sha1,
};

/**
 * The platform's CSPRNG (WebCrypto: browsers, Node, React Native with a getRandomValues polyfill), or
 * a ScramError when there is none: a predictable nonce would let a replayed exchange pass, so there
 * is no weaker fallback.
 */
export function defaultRandomBytes(length: number): Uint8Array {
  const crypto = (globalThis as { crypto?: { getRandomValues?: (array: Uint8Array) => unknown } })
    .crypto;
  if (typeof crypto?.getRandomValues !== 'function') {
    throw new ScramError(
      'NoRandomSource',
      'This platform has no secure random source (crypto.getRandomValues); cannot log in safely.',
    );
  }
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return bytes;
}

/** A fresh client nonce: base64 has no ',' and only printable characters, as RFC 5802 §5.1 asks. */
export function makeClientNonce(randomBytes: RandomBytes = defaultRandomBytes): string {
  const bytes = randomBytes(CLIENT_NONCE_BYTES);
  if (!(bytes instanceof Uint8Array) || bytes.length !== CLIENT_NONCE_BYTES) {
    throw new ScramError('NoRandomSource', 'The random source returned the wrong number of bytes.');
  }
  return encodeBase64(bytes);
}

export interface ScramClientOptions {
  readonly mechanism: ScramMechanismName;
  readonly username: string;
  /** The password, or `keys` from an earlier login (the password is used when both are given). */
  readonly password?: string;
  readonly keys?: ScramKeys;
  /** From makeClientNonce(); a parameter so the RFC test vectors can fix it. */
  readonly clientNonce: string;
  /**
   * The TLS session's binding: required by the -PLUS mechanisms; given with another mechanism, it
   * says the client could bind but the server did not offer to (gs2 flag `y`).
   */
  readonly channelBinding?: ChannelBinding;
}

type ScramState =
  | { readonly step: 'initial' }
  | { readonly step: 'sent-client-first'; readonly clientFirstBare: string }
  | { readonly step: 'deriving' }
  | { readonly step: 'sent-client-final'; readonly serverSignature: Uint8Array }
  | { readonly step: 'verified' }
  | { readonly step: 'failed'; readonly error: ScramError };

/**
 * One SCRAM exchange as a pure state machine over strings: clientFirst() → clientFinal(serverFirst)
 * → verifyServerFinal(serverFinal). Any deviation throws a ScramError and the exchange stays failed.
 */
export class ScramClient {
  readonly mechanism: ScramMechanismName;
  readonly #hash: Hash;
  readonly #username: string;
  readonly #password: string | undefined;
  readonly #keys: ScramKeys | undefined;
  #derived: ScramKeys | undefined;
  readonly #clientNonce: string;
  /** RFC 5802 §7 gs2-header: `n,,`, `y,,` or `p=<type>,,`. */
  readonly #gs2Header: string;
  /** What c= carries: the gs2 header, and the binding data with -PLUS. */
  readonly #channelBindingInput: Uint8Array;
  #state: ScramState = { step: 'initial' };

  constructor(options: ScramClientOptions) {
    this.mechanism = options.mechanism;
    this.#hash = HASHES[options.mechanism];
    this.#username = saslPrep(options.username);
    this.#password = options.password === undefined ? undefined : saslPrep(options.password);
    this.#keys = options.keys;
    this.#clientNonce = options.clientNonce;
    const binding = options.channelBinding;
    if (isPlusMechanism(options.mechanism)) {
      if (!binding || binding.data.length === 0) {
        throw new ScramError(
          'NoChannelBinding',
          `${options.mechanism} needs the TLS session's channel binding, which is not available.`,
        );
      }
      this.#gs2Header = `p=${binding.type},,`;
      const header = utf8(this.#gs2Header);
      this.#channelBindingInput = new Uint8Array(header.length + binding.data.length);
      this.#channelBindingInput.set(header);
      this.#channelBindingInput.set(binding.data, header.length);
    } else {
      this.#gs2Header = binding ? 'y,,' : 'n,,';
      this.#channelBindingInput = utf8(this.#gs2Header);
    }
  }

  /** The keys this exchange used (after clientFinal): what a later login needs instead of the password. */
  get keys(): ScramKeys | undefined {
    return this.#derived;
  }

  /** True once the server has proved it knows the password's server key. */
  get verified(): boolean {
    return this.#state.step === 'verified';
  }

  /** n,,n=user,r=nonce (or y,, or p=tls-exporter,, in front) */
  clientFirst(): string {
    this.#expect('initial');
    const clientFirstBare = `n=${saslName(this.#username)},r=${this.#clientNonce}`;
    this.#state = { step: 'sent-client-first', clientFirstBare };
    return `${this.#gs2Header}${clientFirstBare}`;
  }

  /**
   * Checks server-first-message and answers with client-final-message (c=…,r=…,p=proof). Async:
   * with the password it runs PBKDF2 (WebCrypto where there is one); with saved keys it does not.
   */
  async clientFinal(serverFirst: string): Promise<string> {
    const state = this.#expect('sent-client-first');
    const { nonce, saltText, salt, iterations } = this.#guard(() => {
      const attributes = parseAttributes(serverFirst);
      // A mandatory extension we do not understand: RFC 5802 §5.1 says the client must fail.
      if (attributes.has('m'))
        throw malformed('server-first-message carries an unknown mandatory extension');
      const nonce = attributes.get('r');
      const saltText = attributes.get('s');
      const iterationText = attributes.get('i');
      if (nonce === undefined || saltText === undefined || iterationText === undefined)
        throw malformed('server-first-message lacks r, s or i');
      // The server must extend our nonce with its own part; anything else is a replay or a mix-up.
      if (!nonce.startsWith(this.#clientNonce) || nonce.length <= this.#clientNonce.length)
        throw new ScramError('NonceMismatch', 'The server nonce does not extend the client nonce.');
      if (!/^[1-9][0-9]{0,9}$/.test(iterationText)) throw malformed('bad iteration count');
      const iterations = Number(iterationText);
      if (iterations < MIN_ITERATIONS)
        throw new ScramError(
          'IterationCountTooLow',
          `The server asks for ${iterations} iterations; at least ${MIN_ITERATIONS} are required.`,
        );
      if (iterations > MAX_ITERATIONS)
        throw new ScramError(
          'IterationCountTooHigh',
          `The server asks for ${iterations} iterations; at most ${MAX_ITERATIONS} are accepted.`,
        );
      const salt = decodeBase64(saltText);
      if (salt === undefined || salt.length === 0) throw malformed('bad salt');
      return { nonce, saltText, salt, iterations };
    });
    // Nothing else may run on this exchange while the keys are derived.
    this.#state = { step: 'deriving' };
    let keys: { clientKey: Uint8Array; serverKey: Uint8Array };
    try {
      keys = await this.#keysFor(saltText, salt, iterations);
    } catch (error) {
      return this.#guard(() => {
        throw error;
      });
    }
    return this.#guard(() => {
      const hash = this.#hash;
      const { clientKey, serverKey } = keys;
      const storedKey = hash(clientKey);
      const clientFinalWithoutProof = `c=${encodeBase64(this.#channelBindingInput)},r=${nonce}`;
      const authMessage = utf8(
        `${state.clientFirstBare},${serverFirst},${clientFinalWithoutProof}`,
      );
      const clientSignature = hmac(hash, storedKey, authMessage);
      const clientProof = clientKey.map((byte, index) => byte ^ (clientSignature[index] ?? 0));
      this.#state = {
        step: 'sent-client-final',
        serverSignature: hmac(hash, serverKey, authMessage),
      };
      return `${clientFinalWithoutProof},p=${encodeBase64(clientProof)}`;
    });
  }

  /** Checks server-final-message (v=signature): a server that cannot sign is not the real one. */
  verifyServerFinal(serverFinal: string): void {
    const state = this.#expect('sent-client-final');
    this.#guard(() => {
      const attributes = parseAttributes(serverFinal);
      const error = attributes.get('e');
      if (error !== undefined)
        throw new ScramError(
          'ServerRejected',
          `The server rejected the login: ${error}`,
          SERVER_ERRORS.get(error),
        );
      const signatureText = attributes.get('v');
      if (signatureText === undefined) throw malformed('server-final-message lacks v');
      const signature = decodeBase64(signatureText);
      if (signature === undefined || !equalBytes(signature, state.serverSignature))
        throw new ScramError(
          'ServerSignatureMismatch',
          'The server could not prove it knows the password: possible impostor.',
        );
      this.#state = { step: 'verified' };
    });
  }

  /** ClientKey and ServerKey from the password, or the stored ones when they fit this salt. */
  async #keysFor(
    saltText: string,
    salt: Uint8Array,
    iterations: number,
  ): Promise<{ clientKey: Uint8Array; serverKey: Uint8Array }> {
    const hash = this.#hash;
    const hashName = hashNameOf(this.mechanism);
    if (this.#password === undefined) {
      const keys = this.#keys;
      if (
        !keys ||
        keys.hash !== hashName ||
        keys.salt !== saltText ||
        keys.iterations !== iterations ||
        keys.clientKey.length !== hash.outputLen ||
        keys.serverKey.length !== hash.outputLen
      ) {
        throw new ScramError(
          'KeysOutdated',
          'The saved login no longer fits the server (the password was changed?): log in with the password again.',
        );
      }
      this.#derived = keys;
      return keys;
    }
    const saltedPassword = await pbkdf2(
      hashName,
      utf8(this.#password),
      salt,
      iterations,
      hash.outputLen,
    );
    const clientKey = hmac(hash, saltedPassword, utf8('Client Key'));
    const serverKey = hmac(hash, saltedPassword, utf8('Server Key'));
    this.#derived = { hash: hashName, salt: saltText, iterations, clientKey, serverKey };
    return { clientKey, serverKey };
  }

  /** Marks the exchange failed from outside (e.g. unreadable data around the message). */
  fail(error: ScramError): void {
    this.#state = { step: 'failed', error };
  }

  /**
   * Throws unless the server signature was verified: for when the server declares success, which
   * without a valid signature may come from an impostor that never saw the password.
   */
  assertVerified(): void {
    const state = this.#state;
    if (state.step === 'verified') return;
    if (state.step === 'failed') throw state.error;
    const error = new ScramError(
      'ServerSignatureMissing',
      'The server accepted the login without proving it knows the password.',
    );
    this.#state = { step: 'failed', error };
    throw error;
  }

  #expect<Step extends ScramState['step']>(step: Step): Extract<ScramState, { step: Step }> {
    const state = this.#state;
    if (state.step === 'failed') throw state.error;
    if (state.step !== step)
      throw new ScramError('OutOfOrder', `SCRAM message out of order (at ${state.step}).`);
    return state as Extract<ScramState, { step: Step }>;
  }

  #guard<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      const failure =
        error instanceof ScramError
          ? error
          : new ScramError('MalformedServerMessage', `Unreadable SCRAM message: ${String(error)}`);
      this.#state = { step: 'failed', error: failure };
      throw failure;
    }
  }
}

export function malformed(what: string): ScramError {
  return new ScramError('MalformedServerMessage', `Malformed SCRAM message: ${what}.`);
}

/** RFC 5802 §7: comma-separated `a=value` pairs, each attribute once. */
function parseAttributes(message: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of message.split(',')) {
    if (!/^[A-Za-z]=/.test(part)) throw malformed(`attribute '${part.slice(0, 20)}'`);
    const name = part.charAt(0);
    if (attributes.has(name)) throw malformed(`attribute ${name} repeated`);
    attributes.set(name, part.slice(2));
  }
  return attributes;
}

/** RFC 5802 §5.1 saslname: ',' and '=' would break the attribute syntax. */
function saslName(name: string): string {
  return name.replaceAll('=', '=3D').replaceAll(',', '=2C');
}

const encoder = new TextEncoder();
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Compares in time independent of where the bytes differ. */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}
