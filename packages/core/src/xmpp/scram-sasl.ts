// SCRAM inside xmpp.js: its SASL layer (saslmechanisms) instantiates `new Mechanism()` per login, calls
// response(credentials) for the initial message and after every challenge(text). Texts cross it as
// "binary strings" (one char per byte) because @xmpp/base64 is btoa/atob. The exchange itself is
// ScramClient's (scram.ts).
import { decodeBase64 } from '../util/base64.ts';
import type { RandomBytes } from '../util/random.ts';
import {
  SCRAM_MECHANISMS,
  ScramClient,
  ScramError,
  defaultRandomBytes,
  makeClientNonce,
  malformed,
  utf8,
  type ChannelBinding,
  type ScramKeys,
  type ScramMechanismName,
} from './scram.ts';

/** The parts of xmpp.js's SASL factory and client this adapter needs. */
export interface SaslFactoryLike {
  use(name: string, mechanism: unknown): unknown;
  _mechs: { name: string; mech: unknown }[];
}
interface NonzaLike {
  name: string;
  getNS(): string | undefined;
  text(): string;
  getChildText(name: string): string | null;
}
export interface NonzaSourceLike {
  on(event: 'nonza', listener: (element: NonzaLike) => void): unknown;
}

export interface ScramSaslOptions {
  /** A CSPRNG; defaults to globalThis.crypto.getRandomValues, failing closed without one. */
  readonly randomBytes?: RandomBytes;
  /**
   * The current TLS session's channel binding, asked for as each exchange starts (undefined where
   * the transport does not expose it).
   */
  readonly channelBinding?: () => ChannelBinding | undefined;
  /** Stored keys to log in with when no password is given (asked for as each exchange starts). */
  readonly keys?: () => ScramKeys | undefined;
}

export interface ScramSasl {
  /**
   * Call after xmpp.js reports SASL success: throws the ScramError if the SCRAM exchange did not
   * end with a verified server signature. Does nothing when no SCRAM exchange ran.
   */
  assertServerVerified(): void;
  /** The keys of the last SCRAM exchange, once its server signature was verified. */
  verifiedKeys(): ScramKeys | undefined;
  /** Forgets the last exchange: a new stream's login starts. */
  reset(): void;
  /** Whether a SCRAM exchange started since the last reset(). */
  started(): boolean;
}

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
// XEP-0388 SASL2 — https://xmpp.org/extensions/xep-0388.html: the same data, in <additional-data/>.
const NS_SASL2 = 'urn:xmpp:sasl:2';
const binaryToText = (binary: string) =>
  new TextDecoder('utf-8', { fatal: true }).decode(
    Uint8Array.from(binary, (char) => char.charCodeAt(0)),
  );
const textToBinary = (text: string) => String.fromCharCode(...utf8(text));

/**
 * Registers SCRAM-SHA-256(-PLUS) and SCRAM-SHA-1(-PLUS) on an xmpp.js client, replacing its own
 * SCRAM-SHA-1, and checks the server signature that RFC 6120 §6.4.6 puts in <success/> (xmpp.js ignores that data).
 */
export function scramSasl(
  { saslFactory, entity }: { saslFactory: SaslFactoryLike; entity: NonzaSourceLike },
  options: ScramSaslOptions = {},
): ScramSasl {
  const randomBytes = options.randomBytes ?? defaultRandomBytes;
  let current: ScramClient | undefined;

  const makeMechanism = (name: ScramMechanismName) =>
    class ScramMechanism {
      readonly name = name;
      readonly clientFirst = true;
      #client: ScramClient | undefined;
      #reply = '';

      response(credentials: { username?: string | null; password?: string | null }): string {
        if (!this.#client) {
          const binding = options.channelBinding?.();
          const keys = credentials.password ? undefined : options.keys?.();
          this.#client = new ScramClient({
            mechanism: name,
            username: credentials.username ?? '',
            ...(keys ? { keys } : { password: credentials.password ?? '' }),
            clientNonce: makeClientNonce(randomBytes),
            ...(binding ? { channelBinding: binding } : {}),
          });
          current = this.#client;
          return textToBinary(this.#client.clientFirst());
        }
        return textToBinary(this.#reply);
      }

      // xmpp.js awaits challenge() before it asks for the response (SASL and SASL2 alike).
      async challenge(binary: string): Promise<this> {
        if (!this.#client) throw new ScramError('OutOfOrder', 'SCRAM challenge before auth.');
        const text = decodeServerText(binary);
        // Some servers send server-final-message as a last challenge instead of inside <success/>;
        // its answer is an empty response.
        if (text.startsWith('v=') || text.startsWith('e=')) {
          this.#client.verifyServerFinal(text);
          this.#reply = '';
        } else {
          this.#reply = await this.#client.clientFinal(text);
        }
        return this;
      }
    };

  // saslmechanisms picks the first registration with a matching name, and the order of its list is
  // xmpp.js's order of preference: drop the stock SCRAM-SHA-1 and put ours first.
  const others = saslFactory._mechs.filter((entry) => !entry.name.startsWith('SCRAM-'));
  saslFactory._mechs.length = 0;
  for (const name of SCRAM_MECHANISMS) saslFactory.use(name, makeMechanism(name));
  saslFactory._mechs.push(...others);

  entity.on('nonza', (element) => {
    if (element.name !== 'success' || !current) return;
    const ns = element.getNS();
    if (ns !== NS_SASL && ns !== NS_SASL2) return;
    const client = current;
    if (client.verified) return;
    const data = (ns === NS_SASL ? element.text() : element.getChildText('additional-data')) ?? '';
    // Listeners must not throw into the XML parser: a failure is stored and surfaces from
    // assertServerVerified().
    // RFC 6120 §6.4.6: no data is sent as an empty element, a '=' stands for empty data.
    if (data === '' || data === '=') return;
    try {
      client.verifyServerFinal(decodeServerText(decodeSuccessBase64(data)));
    } catch (error) {
      client.fail(error instanceof ScramError ? error : malformed('unreadable <success/> data'));
    }
  });

  return {
    assertServerVerified() {
      current?.assertVerified();
    },
    verifiedKeys() {
      return current?.verified ? current.keys : undefined;
    },
    reset() {
      current = undefined;
    },
    started() {
      return current !== undefined;
    },
  };
}

function decodeServerText(binary: string): string {
  try {
    return binaryToText(binary);
  } catch {
    throw malformed('not UTF-8');
  }
}

function decodeSuccessBase64(data: string): string {
  const bytes = decodeBase64(data.trim());
  if (!bytes) throw malformed('bad base64 in <success/>');
  return String.fromCharCode(...bytes);
}
