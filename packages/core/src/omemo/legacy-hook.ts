// XEP-0384 OMEMO Encryption (legacy 0.3) — https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
// OMEMO 0.3's half of the EncryptionHook (omemo.ts picks the version per contact and calls this):
// the body encrypted with AES-128-GCM, its key and tag in each device's Signal session (sessions.ts,
// libsignal-protocol-typescript). Decrypting gives the typed results of chat/types.ts; the steps
// after a key decrypted (device seen, PreKey answer, warning for an untrusted sender) and repairs
// are omemo.ts's, shared with OMEMO 2 (../omemo2/hook.ts).
import xml, { type Element } from '@xmpp/xml';
import {
  SessionCipher,
  SignalProtocolAddress,
} from '@privacyresearch/libsignal-protocol-typescript';
import { HushError, OmemoDeviceError } from '../errors.ts';
import type { DecryptResult, ParsedChatMessage } from '../chat/types.ts';
import { NS_OMEMO_LEGACY } from './bundle.ts';
import { toArrayBuffer } from './bytes.ts';
import { errorText } from './events.ts';
import {
  FALLBACK_BODY,
  NS_EME,
  NS_HINTS,
  buildEncrypted,
  decryptPayload,
  encryptPayload,
  type EncryptedElement,
} from './message.ts';
import type { Sessions, Target } from './sessions.ts';
import type { HookDeps } from './hook-deps.ts';

export interface LegacyHookDeps extends HookDeps {
  readonly sessions: Sessions;
}

export class LegacyHook {
  readonly #deps: LegacyHookDeps;

  constructor(deps: LegacyHookDeps) {
    this.#deps = deps;
  }

  /** The chat stanza with its body moved into an OMEMO 0.3 element for `targets`. */
  async encrypt(
    message: { to: string; body: string; stanza: Element },
    peer: string,
    targets: readonly Target[],
  ): Promise<Element> {
    const { payload, iv, keyMaterial } = encryptPayload(message.body, this.#deps.randomBytes);
    const keys = await this.#deps.sessions.encryptKey(targets, keyMaterial);
    if (!keys.some((key) => key.jid === peer)) {
      throw new OmemoDeviceError('NoOmemoDevice', `Could not encrypt for any device of ${peer}.`, {
        jid: peer,
      });
    }
    return xml(
      'message',
      { ...message.stanza.attrs },
      ...message.stanza.getChildElements().filter((child) => !child.is('body')),
      buildEncrypted({ sid: this.#deps.ownDeviceId(), keys, iv, payload }),
      xml('body', {}, FALLBACK_BODY),
      // Archived although it has no readable body (once: the chat stanza may carry it already).
      ...(message.stanza.getChild('store', NS_HINTS) ? [] : [xml('store', { xmlns: NS_HINTS })]),
      xml('encryption', { xmlns: NS_EME, namespace: NS_OMEMO_LEGACY, name: 'OMEMO' }),
    );
  }

  async decrypt(
    message: ParsedChatMessage,
    sender: string,
    encrypted: EncryptedElement,
    hold: boolean,
  ): Promise<DecryptResult> {
    const deviceId = this.#deps.ownDeviceId();
    if (sender === this.#deps.account && encrypted.sid === deviceId) {
      return { encrypted: true, ignore: 'own-echo' };
    }
    // Lists are pushed to presence subscribers only: a device no known list names gets them
    // fetched again (device-lists.ts).
    await this.#deps.noticeMessage(
      sender,
      encrypted.sid,
      encrypted.keys.map((key) => key.rid),
    );
    const key = encrypted.keys.find((candidate) => candidate.rid === deviceId);
    if (!key) {
      // A session-building message for the sender's other devices (python-omemo sends one to the
      // whole account after each PreKey message), or archive history older than this device.
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
    const signal = this.#deps.signal;
    const address = new SignalProtocolAddress(sender, encrypted.sid);
    const cipher = new SessionCipher(signal, address);
    let keyMaterial: Uint8Array;
    if (hold) signal.hold(address.toString());
    try {
      const plain = key.preKey
        ? await cipher.decryptPreKeyWhisperMessage(toArrayBuffer(key.data), 'binary')
        : await cipher.decryptWhisperMessage(toArrayBuffer(key.data), 'binary');
      keyMaterial = new Uint8Array(plain);
      signal.decrypted();
    } catch (error) {
      // Nothing of a failed decrypt is worth keeping back.
      await signal.release(true);
      const text = errorText(error);
      // The chain's key for this counter is gone: this exact message was decrypted before.
      if (/counter was repeated|Message key not found/i.test(text)) {
        // A key-transport message seen again (live, then from the archive) carries nothing to keep.
        return { encrypted: true, ignore: encrypted.payload ? 'duplicate' : 'key-transport' };
      }
      this.#deps.scheduleRepair(sender, encrypted.sid);
      return undecryptable(`The message could not be decrypted: ${text}`);
    }
    const warning = await this.#deps.decrypted(sender, encrypted.sid, key.preKey, hold);
    if (!encrypted.payload) return { encrypted: true, ignore: 'key-transport' };
    let body: string;
    try {
      body = decryptPayload(keyMaterial, encrypted.iv, encrypted.payload);
    } catch (error) {
      return undecryptable(`The message was altered or damaged: ${errorText(error)}`);
    }
    return warning ? { encrypted: true, body, warning } : { encrypted: true, body };
  }
}

function undecryptable(message: string): DecryptResult {
  return { encrypted: true, error: new HushError('Undecryptable', message) };
}
