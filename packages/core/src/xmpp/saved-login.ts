// What a device keeps to log in again instead of the password: SCRAM's ClientKey and ServerKey for
// the server's salt and iteration count (scram.ts), a XEP-0484 FAST token where the server gives one
// (fast.ts), and the device's client id, which FAST tokens are bound to. Neither reveals the
// password: the keys log in to this server only until the password changes (a new salt), and
// guessing the password from them costs the full PBKDF2 per guess; a token logs in until it expires
// or the password changes. Both are credentials all the same, and are kept like one (the CLI's
// profile file, mode 0600; the app's keystore or, on the web, IndexedDB behind a non-extractable
// key).
import { HushError } from '../errors.ts';
import { decodeBase64, encodeBase64 } from '../util/base64.ts';
import type { RandomBytes } from '../util/random.ts';
import { defaultRandomBytes, type ScramKeys } from './scram.ts';

/** XEP-0484: a token the server issued for one HT-* mechanism, until `expiry` (an ISO date). */
export interface FastToken {
  readonly mechanism: string;
  readonly token: string;
  readonly expiry: string;
}

export interface SavedLogin {
  /** XEP-0388 user-agent id of this device: FAST tokens are valid for it only. */
  readonly clientId: string;
  readonly scram?: ScramKeys;
  readonly fast?: FastToken;
}

/** A new device's client id: a random UUID (XEP-0388 asks for one), from the given CSPRNG. */
export function newClientId(randomBytes: RandomBytes = defaultRandomBytes): string {
  const bytes = randomBytes(16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Whether the token is still worth offering (XEP-0484: the server refuses an expired one). */
export function fastTokenUsable(token: FastToken | undefined, now = Date.now()): boolean {
  if (!token) return false;
  const expiry = Date.parse(token.expiry);
  return Number.isFinite(expiry) && expiry > now;
}

interface Encoded {
  v: 1;
  clientId: string;
  scram?: {
    hash: ScramKeys['hash'];
    salt: string;
    iterations: number;
    clientKey: string;
    serverKey: string;
  };
  fast?: FastToken;
}

/** The saved login as text (JSON, keys in base64): for SQLite and the platforms' secure stores. */
export function encodeSavedLogin(login: SavedLogin): string {
  const encoded: Encoded = { v: 1, clientId: login.clientId };
  if (login.scram) {
    const { hash, salt, iterations, clientKey, serverKey } = login.scram;
    encoded.scram = {
      hash,
      salt,
      iterations,
      clientKey: encodeBase64(clientKey),
      serverKey: encodeBase64(serverKey),
    };
  }
  if (login.fast) {
    const { mechanism, token, expiry } = login.fast;
    encoded.fast = { mechanism, token, expiry };
  }
  return JSON.stringify(encoded);
}

function unreadable(why: string): HushError {
  return new HushError('WrongPassword', `The saved login is unreadable (${why}): log in again.`);
}

/**
 * The saved login from its text, or a HushError 'WrongPassword' (the person logs in with the
 * password again) when it is not one: nothing half-read is ever used.
 */
export function decodeSavedLogin(text: string): SavedLogin {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw unreadable('not JSON');
  }
  const data = value as Partial<Encoded> | null;
  if (typeof data !== 'object' || data === null || data.v !== 1) throw unreadable('version');
  if (typeof data.clientId !== 'string' || data.clientId === '') throw unreadable('client id');
  let scram: ScramKeys | undefined;
  if (data.scram !== undefined) {
    const { hash, salt, iterations, clientKey, serverKey } = data.scram;
    const client = typeof clientKey === 'string' ? decodeBase64(clientKey) : undefined;
    const server = typeof serverKey === 'string' ? decodeBase64(serverKey) : undefined;
    if (
      (hash !== 'SHA-256' && hash !== 'SHA-1') ||
      typeof salt !== 'string' ||
      !Number.isSafeInteger(iterations) ||
      !client ||
      !server
    )
      throw unreadable('SCRAM keys');
    scram = { hash, salt, iterations, clientKey: client, serverKey: server };
  }
  let fast: FastToken | undefined;
  if (data.fast !== undefined) {
    const { mechanism, token, expiry } = data.fast;
    if (typeof mechanism !== 'string' || typeof token !== 'string' || typeof expiry !== 'string')
      throw unreadable('FAST token');
    fast = { mechanism, token, expiry };
  }
  return { clientId: data.clientId, ...(scram && { scram }), ...(fast && { fast }) };
}
