// XEP-0484 Fast Authentication Streamlining Tokens — https://xmpp.org/extensions/xep-0484.html
// draft-schmaus-kitten-sasl-ht (HT-SHA-256-*) — https://datatracker.ietf.org/doc/draft-schmaus-kitten-sasl-ht/
// A returning device logs in with one message: username \0 HMAC-SHA-256(token, "Initiator" ‖ cb),
// and the server proves it holds the token too: HMAC-SHA-256(token, "Responder" ‖ cb) in <success/>.
// Where TLS is reachable (xmpp://, xmpps:// on Node) the proof is bound to the TLS session
// (HT-SHA-256-EXPR, RFC 9266 tls-exporter), as SCRAM-SHA-256-PLUS is; over WebSocket it is
// HT-SHA-256-NONE. No PBKDF2: the login costs two HMACs.
// This replaces xmpp.js's own HT-SHA-256-NONE, which skips the server's proof when the server sends
// none: here a <success/> without a valid proof fails the login.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HushError } from '../errors.ts';
import type { ChannelBinding } from './scram.ts';
import { fastTokenUsable, type FastToken } from './saved-login.ts';

export const NS_FAST = 'urn:xmpp:fast:0';
/** The HT mechanisms Hush speaks, most preferred first. */
export const FAST_MECHANISMS = ['HT-SHA-256-EXPR', 'HT-SHA-256-NONE'] as const;

/** The parts of xmpp.js's FAST module (client-core/src/fast/fast.js) this file drives. */
export interface XmppFast {
  mechanism: string | null;
  mechanisms: string[];
  saslFactory: {
    use(name: string, mechanism: unknown): unknown;
    _mechs: { name: string; mech: unknown }[];
  };
  saveToken(token: FastToken): Promise<void>;
  fetchToken(): Promise<FastToken | undefined>;
  deleteToken(): Promise<void>;
}

/** One FAST attempt on one stream: what the mechanism saw. */
export interface FastAttempt {
  readonly mechanism: string;
  /** Set once the server's Responder proof checked out. */
  verified: boolean;
  failure?: HushError;
}

const encoder = new TextEncoder();
const concat = (text: string, binding: Uint8Array | undefined): Uint8Array => {
  const head = encoder.encode(text);
  if (!binding) return head;
  const out = new Uint8Array(head.length + binding.length);
  out.set(head);
  out.set(binding, head.length);
  return out;
};
const toBinary = (bytes: Uint8Array) => String.fromCharCode(...bytes);
const fromBinary = (binary: string) => Uint8Array.from(binary, (char) => char.charCodeAt(0));

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

export interface FastLogin {
  /**
   * Picks the mechanism for this stream (bound where the binding is known) among those offered,
   * and makes it the one xmpp.js asks new tokens for. Undefined when FAST is not offered.
   */
  choose(binding: ChannelBinding | undefined): string | undefined;
  /** The token to offer on this stream, if it is still usable there. */
  usableToken(): FastToken | undefined;
  /** The attempt on the current stream, if the FAST mechanism ran. */
  readonly attempt: FastAttempt | undefined;
  /** Forget the attempt (a new stream starts). */
  reset(): void;
}

/**
 * Installs Hush's HT mechanisms into xmpp.js's FAST module and keeps the token in `state` (read and
 * written through `token()` and `store()`): xmpp.js asks for a token on every SCRAM login that lacks
 * a usable one, and hands the server's new or rotated token to `store`.
 */
export function fastLogin(
  fast: XmppFast,
  state: {
    token(): FastToken | undefined;
    store(token: FastToken | undefined): void;
    binding(): ChannelBinding | undefined;
  },
): FastLogin {
  let attempt: FastAttempt | undefined;

  const makeMechanism = (name: (typeof FAST_MECHANISMS)[number]) =>
    class HashedTokenMechanism {
      readonly name = name;
      readonly clientFirst = true;
      #token = new Uint8Array();
      #binding: Uint8Array | undefined;

      response(credentials: { username?: string | null; password?: string | null }): string {
        this.#token = encoder.encode(credentials.password ?? '');
        const binding = name === 'HT-SHA-256-EXPR' ? state.binding()?.data : undefined;
        attempt = { mechanism: name, verified: false };
        if (name === 'HT-SHA-256-EXPR' && !binding) {
          attempt.failure = new HushError(
            'ProtocolError',
            `${name} needs the TLS channel binding.`,
          );
          throw attempt.failure;
        }
        this.#binding = binding;
        const initiator = hmac(sha256, this.#token, concat('Initiator', binding));
        return `${credentials.username ?? ''}\0${toBinary(initiator)}`;
      }

      final(binary: string): void {
        const current = attempt;
        if (!current) return;
        const expected = hmac(sha256, this.#token, concat('Responder', this.#binding));
        if (equalBytes(fromBinary(binary), expected)) {
          current.verified = true;
          return;
        }
        // Recorded, not thrown: xmpp.js would answer a throw by trying SCRAM on a stream the server
        // has already logged in. The session fails the login (and leaves the stream) instead.
        current.failure = new HushError(
          'ProtocolError',
          'The server accepted the login token without proving it knows it: possible impostor.',
        );
      }
    };

  fast.saslFactory._mechs.length = 0;
  for (const name of FAST_MECHANISMS) {
    fast.saslFactory.use(name, makeMechanism(name));
  }
  fast.fetchToken = async () => state.token();
  fast.saveToken = async (token) => {
    state.store({ mechanism: token.mechanism, token: token.token, expiry: token.expiry });
  };
  fast.deleteToken = async () => {
    state.store(undefined);
  };

  return {
    choose(binding) {
      const offered = fast.mechanisms;
      const chosen = FAST_MECHANISMS.find(
        (name) => offered.includes(name) && (binding || name !== 'HT-SHA-256-EXPR'),
      );
      if (!chosen) return undefined;
      fast.mechanism = chosen;
      fast.mechanisms = [chosen];
      return chosen;
    },
    usableToken() {
      const token = state.token();
      return fastTokenUsable(token) && token?.mechanism === fast.mechanism ? token : undefined;
    },
    get attempt() {
      return attempt;
    },
    reset() {
      attempt = undefined;
    },
  };
}
