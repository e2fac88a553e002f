import type { Element } from '@xmpp/xml';
import type { HushError } from '../errors.ts';

export type ChatState = 'active' | 'composing' | 'paused' | 'inactive' | 'gone';
/** Where an incoming message came from: the live stream, a carbon copy, or the archive. */
export type MessageSource = 'live' | 'carbon' | 'archive';

/** A one-to-one chat message, as read from a stanza (still encrypted, if it was). */
export interface ParsedChatMessage {
  readonly kind: 'chat';
  readonly source: MessageSource;
  /** 'out' for copies of what this account's other devices sent (carbons, archive). */
  readonly direction: 'in' | 'out';
  /** Bare JID of the other side of the conversation. */
  readonly peer: string;
  /** Full JID of the sending device. */
  readonly from: string;
  readonly body?: string;
  /** The stanza's id attribute, which receipts and markers refer to. */
  readonly id?: string;
  /** XEP-0359 origin-id: the sender's own id, stable across resends: the key for deduplication. */
  readonly originId?: string;
  /** XEP-0359 stanza-id given by this account's server (only trusted when `by` is the account). */
  readonly stanzaId?: string;
  /** XEP-0203 delay, or the archive's timestamp, in ms. */
  readonly timestamp?: number;
  readonly requestsReceipt: boolean;
  readonly markable: boolean;
  readonly chatState?: ChatState;
  /** The message element itself (unwrapped from a carbon or archive result), for decryption hooks. */
  readonly element: Element;
}

export type ParsedIncoming =
  | ParsedChatMessage
  | {
      readonly kind: 'receipt';
      readonly peer: string;
      readonly id: string;
      readonly source: MessageSource;
      /** 'out': sent by one of this account's devices (a carbon or archive copy). */
      readonly direction: 'in' | 'out';
    }
  | {
      readonly kind: 'displayed';
      readonly peer: string;
      readonly id: string;
      readonly source: MessageSource;
      /** 'out': this account read the peer's messages on another device. */
      readonly direction: 'in' | 'out';
    }
  | { readonly kind: 'chat-state'; readonly peer: string; readonly state: ChatState }
  | {
      readonly kind: 'error';
      readonly peer: string;
      readonly id?: string;
      readonly condition: string;
      readonly text?: string;
    };

/**
 * End-to-end encryption plugs into chat through this hook, so chat code never knows about OMEMO.
 * `encrypt` turns an outgoing plain message stanza into the stanza to send (or throws a HushError:
 * the message then fails with that reason and is never sent in the clear). `elements` are further
 * content that may travel only encrypted (a file's name and type, XEP-0447): an encryption that can
 * carry elements (OMEMO 2's envelope) carries them, one that cannot (OMEMO 0.3) leaves them out, never
 * in the clear stanza. `decrypt` reads an incoming message: it returns the plaintext body (and such
 * elements, when the encryption carried some), or a typed error for a message that could not be
 * decrypted (stored and shown as such, never dropped).
 */
export interface EncryptionHook {
  encrypt(message: {
    readonly to: string;
    readonly body: string;
    readonly stanza: Element;
    readonly elements?: readonly Element[];
  }): Promise<Element>;
  /**
   * With `hold`, what decrypting changes in the hook's own state (a Signal session moving on, a
   * one-time prekey used up) is kept back until `settle`: the caller stores the message first, so a
   * process that dies in between can decrypt it again from the archive instead of losing it.
   */
  decrypt(
    message: ParsedChatMessage,
    options?: { readonly hold?: boolean },
  ): Promise<DecryptResult>;
  /** Keeps (`commit`) or drops what the last held decrypt changed. */
  settle?(commit: boolean): Promise<void>;
}
export type DecryptResult =
  /** `warning`: readable, but it should have been encrypted (shown marked). */
  | { readonly encrypted: false; readonly body: string | undefined; readonly warning?: HushError }
  /**
   * `warning`: decrypted, but from a device that is refused or not trusted yet (shown marked).
   * `elements`: the other encrypted content beside the body (OMEMO 2's envelope), as sent.
   */
  | {
      readonly encrypted: true;
      readonly body: string;
      readonly warning?: HushError;
      readonly elements?: readonly Element[];
    }
  | { readonly encrypted: true; readonly error: HushError }
  /**
   * Nothing to show: a key-transport message (it only builds or repairs a session), a copy of a
   * message this device already decrypted, this device's own message echoed back, or history from
   * before this device existed (never encrypted for it).
   */
  | {
      readonly encrypted: true;
      readonly ignore: 'key-transport' | 'duplicate' | 'own-echo' | 'before-device';
    };
