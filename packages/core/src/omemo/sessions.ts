// XEP-0384 OMEMO Encryption (legacy 0.3) — https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
// Signal sessions with other devices: built from a device's published bundle (X3DH with a randomly
// chosen one-time prekey) on first use, and used to encrypt each message's key material for every
// target device. A bundle whose identity key differs from the one accepted for that device is
// refused and the device marked 'untrusted': a changed key is never trusted silently.
import {
  SessionBuilder,
  SessionCipher,
  SignalProtocolAddress,
} from '@privacyresearch/libsignal-protocol-typescript';
import { OmemoDeviceError } from '../errors.ts';
import type { XmppSession } from '../xmpp/session.ts';
import type { OmemoStore } from '../storage/types.ts';
import { binaryStringToBytes, equalBytes, toArrayBuffer } from './bytes.ts';
import type { RandomBytes } from './crypto-provider.ts';
import type { EncryptedKey } from './message.ts';
import { fetchBundle } from './pep.ts';
import type { SignalStore } from './signal-store.ts';

export interface Target {
  readonly jid: string;
  readonly deviceId: number;
}

export interface SessionsDeps {
  readonly session: XmppSession;
  readonly store: OmemoStore;
  readonly signal: SignalStore;
  readonly account: string;
  readonly randomBytes: RandomBytes;
  readonly onIdentityChanged: (target: Target) => void;
  /** A device that could not be encrypted for (the others still are). */
  readonly report: (error: unknown) => void;
}

export class Sessions {
  readonly #deps: SessionsDeps;
  /** Devices encrypted for before: their session exists, no need to load it to check. */
  readonly #open = new Set<string>();

  constructor(deps: SessionsDeps) {
    this.#deps = deps;
  }

  /** Encrypts the key material for each target; devices that fail are reported and left out. */
  async encryptKey(
    targets: readonly Target[],
    keyMaterial: Uint8Array,
  ): Promise<(EncryptedKey & { jid: string })[]> {
    const keys: (EncryptedKey & { jid: string })[] = [];
    await Promise.all(
      targets.map(async (target) => {
        try {
          const address = new SignalProtocolAddress(target.jid, target.deviceId);
          const cipher = new SessionCipher(this.#deps.signal, address);
          const name = address.toString();
          let sealed;
          try {
            if (!this.#open.has(name) && !(await cipher.hasOpenSession())) await this.build(target);
            sealed = await cipher.encrypt(toArrayBuffer(keyMaterial));
          } catch (error) {
            // The session remembered here is gone from the store: check and build again.
            if (!this.#open.delete(name)) throw error;
            if (!(await cipher.hasOpenSession())) await this.build(target);
            sealed = await cipher.encrypt(toArrayBuffer(keyMaterial));
          }
          this.#open.add(name);
          if (sealed.body === undefined) return;
          keys.push({
            jid: target.jid,
            rid: target.deviceId,
            preKey: sealed.type === 3,
            data: binaryStringToBytes(sealed.body),
          });
        } catch (error) {
          // One unreachable or changed device must not stop the message to the others.
          this.#deps.report(error);
        }
      }),
    );
    keys.sort((a, b) => a.rid - b.rid);
    return keys;
  }

  /**
   * A new session from the device's published bundle. An existing one is archived, not deleted:
   * messages already on their way in it still decrypt (libsignal tries archived sessions too).
   */
  async build(target: Target): Promise<void> {
    const { session, store, account } = this.#deps;
    const bundle = await fetchBundle(session, target.jid, target.deviceId);
    const known = await store.getDevice(account, target.jid, target.deviceId);
    if (known?.identityKey && !equalBytes(known.identityKey, bundle.identityKey)) {
      await store.putDevice(account, {
        ...known,
        identityKey: bundle.identityKey,
        trust: known.trust === 'distrusted' ? 'distrusted' : 'untrusted',
      });
      this.#deps.onIdentityChanged(target);
      throw new OmemoDeviceError(
        'UntrustedIdentity',
        `Device ${target.deviceId} of ${target.jid} has a new identity key.`,
        target,
      );
    }
    const pick = this.#deps.randomBytes(1)[0] ?? 0;
    const preKey = bundle.preKeys[Math.floor((pick / 256) * bundle.preKeys.length)];
    if (!preKey) {
      throw new OmemoDeviceError(
        'NoOmemoDevice',
        `Device ${target.deviceId} of ${target.jid} published no prekeys.`,
        target,
      );
    }
    const builder = new SessionBuilder(
      this.#deps.signal,
      new SignalProtocolAddress(target.jid, target.deviceId),
    );
    await builder.processPreKey({
      identityKey: toArrayBuffer(bundle.identityKey),
      registrationId: 0,
      signedPreKey: {
        keyId: bundle.signedPreKey.id,
        publicKey: toArrayBuffer(bundle.signedPreKey.publicKey),
        signature: toArrayBuffer(bundle.signedPreKey.signature),
      },
      preKey: { keyId: preKey.id, publicKey: toArrayBuffer(preKey.publicKey) },
    });
  }
}
