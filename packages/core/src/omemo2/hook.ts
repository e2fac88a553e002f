// XEP-0384 OMEMO Encryption (OMEMO 2) — https://xmpp.org/extensions/xep-0384.html
// XEP-0420 Stanza Content Encryption — https://xmpp.org/extensions/xep-0420.html
// OMEMO 2's half of the EncryptionHook (../omemo/omemo.ts picks the version per contact and calls
// this): the body goes into an SCE envelope (envelope.ts), the envelope into the payload, its key
// into each device's session (sessions.ts). Decrypting follows 0.3's path step for step (the same
// typed results, the same held decrypt, repairs and PreKey answers through the callbacks), and then
// checks the envelope: a malformed one, bad padding or a <from/> naming another account is an
// Undecryptable error (EnvelopeError), shown as such, never dropped. Elements beside the body
// (a file's XEP-0447 <file-sharing/>) go into the envelope and come back out in the result.
import xml, { type Element } from '@xmpp/xml';
import { HushError, OmemoDeviceError } from '../errors.ts';
import type { DecryptResult, ParsedChatMessage } from '../chat/types.ts';
import type { HookDeps } from '../omemo/hook-deps.ts';
import type { Target } from '../omemo/sessions.ts';
import { FALLBACK_BODY, NS_EME, NS_HINTS } from '../omemo/message.ts';
import { NS_OMEMO2 } from './bundle.ts';
import { buildEnvelope, readEnvelope } from './envelope.ts';
import {
  EMPTY_KEY_MATERIAL,
  buildEncrypted2,
  decryptPayload2,
  encryptPayload2,
  type Omemo2Encrypted,
} from './message.ts';
import { RatchetError } from './ratchet.ts';
import { sessionAddress, type Omemo2Sessions } from './sessions.ts';

export interface Omemo2HookDeps extends HookDeps {
  readonly sessions: Omemo2Sessions;
  readonly now: () => number;
}

export class Omemo2Hook {
  readonly #deps: Omemo2HookDeps;

  constructor(deps: Omemo2HookDeps) {
    this.#deps = deps;
  }

  /**
   * The chat stanza with its body, and the further `elements` (a file's <file-sharing/>), moved into
   * an OMEMO 2 element for `targets`.
   */
  async encrypt(
    message: {
      readonly to: string;
      readonly body: string;
      readonly stanza: Element;
      readonly elements?: readonly Element[];
    },
    peer: string,
    targets: readonly Target[],
  ): Promise<Element> {
    const { account, ownDeviceId, sessions, now, randomBytes } = this.#deps;
    const envelope = buildEnvelope(
      { body: message.body, elements: message.elements ?? [] },
      account,
      now(),
      randomBytes,
    );
    const { payload, keyMaterial } = encryptPayload2(envelope, randomBytes);
    const keys = await sessions.encryptKey(targets, keyMaterial);
    if (!keys.some((key) => key.jid === peer)) {
      throw new OmemoDeviceError('NoOmemoDevice', `Could not encrypt for any device of ${peer}.`, {
        jid: peer,
      });
    }
    return xml(
      'message',
      { ...message.stanza.attrs },
      ...message.stanza.getChildElements().filter((child) => !child.is('body')),
      buildEncrypted2({ sid: ownDeviceId(), keys, payload }),
      xml('body', {}, FALLBACK_BODY),
      ...(message.stanza.getChild('store', NS_HINTS) ? [] : [xml('store', { xmlns: NS_HINTS })]),
      xml('encryption', { xmlns: NS_EME, namespace: NS_OMEMO2, name: 'OMEMO 2' }),
    );
  }

  /** An empty OMEMO 2 message to `targets`, or null when no session could carry a key. */
  async keyTransport(to: string, targets: readonly Target[], id: string): Promise<Element | null> {
    const keys = await this.#deps.sessions.encryptKey(targets, EMPTY_KEY_MATERIAL);
    if (keys.length === 0) return null;
    return xml(
      'message',
      { to, type: 'chat', id },
      buildEncrypted2({ sid: this.#deps.ownDeviceId(), keys }),
      xml('store', { xmlns: NS_HINTS }),
    );
  }

  async decrypt(
    message: ParsedChatMessage,
    sender: string,
    encrypted: Omemo2Encrypted,
    hold: boolean,
  ): Promise<DecryptResult> {
    const { account, ownDeviceId, sessions, signal } = this.#deps;
    const deviceId = ownDeviceId();
    if (sender === account && encrypted.sid === deviceId) {
      return { encrypted: true, ignore: 'own-echo' };
    }
    await this.#deps.noticeMessage(
      sender,
      encrypted.sid,
      encrypted.keys.map((key) => key.rid),
    );
    const key = encrypted.keys.find((k) => k.jid === account && k.rid === deviceId);
    if (!key) {
      if (!encrypted.payload) return { encrypted: true, ignore: 'key-transport' };
      if (message.timestamp !== undefined && message.timestamp < this.#deps.createdAt()) {
        return { encrypted: true, ignore: 'before-device' };
      }
      return {
        encrypted: true,
        error: new HushError(
          'NotEncryptedForDevice',
          `The message was not encrypted for this device (${deviceId}).`,
        ),
      };
    }
    if (key.data.length === 0) {
      return undecryptable('The key for this device is empty or not valid base64.');
    }
    const from = { jid: sender, deviceId: encrypted.sid };
    if (hold) signal.hold(sessionAddress(sender, encrypted.sid));
    let opened: { keyMaterial: Uint8Array; built: boolean };
    try {
      opened = await sessions.decryptKey(from, key);
      signal.decrypted();
    } catch (error) {
      await signal.release(true);
      if (error instanceof RatchetError && error.duplicate) {
        return { encrypted: true, ignore: encrypted.payload ? 'duplicate' : 'key-transport' };
      }
      this.#deps.scheduleRepair(sender, encrypted.sid);
      return undecryptable(
        `The message could not be decrypted: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const warning = await this.#deps.decrypted(sender, encrypted.sid, opened.built, hold);
    if (!encrypted.payload) return { encrypted: true, ignore: 'key-transport' };
    let plain: Uint8Array;
    try {
      plain = decryptPayload2(opened.keyMaterial, encrypted.payload);
    } catch (error) {
      return undecryptable(
        `The message was altered or damaged: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    let content: { body?: string; elements: readonly Element[] };
    try {
      content = readEnvelope(plain, sender);
    } catch (error) {
      if (error instanceof HushError) return { encrypted: true, error };
      throw error;
    }
    return {
      encrypted: true,
      body: content.body ?? '',
      ...(warning ? { warning } : {}),
      ...(content.elements.length > 0 ? { elements: content.elements } : {}),
    };
  }
}

function undecryptable(message: string): DecryptResult {
  return { encrypted: true, error: new HushError('Undecryptable', message) };
}
