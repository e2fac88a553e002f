// XEP-0384 OMEMO Encryption (OMEMO 2) §4.2-4.4 — https://xmpp.org/extensions/xep-0384.html
// OMEMO 2 sessions with other devices: built from their bundle (X3DH, x3dh.ts) or from their key
// exchange, then the Double Ratchet (ratchet.ts) for each message's 48-byte key material.
// - The initiator sends its OMEMOKeyExchange (kex='true') with every message until the first
//   message back decrypts in the session (python-twomemo does the same: the peer may have missed
//   the first one).
// - A key exchange whose ephemeral key built the session already is decrypted in that session, not
//   built again (a repeated kex, or the same message from the archive).
// - The one-time prekey a key exchange used is retired as in 0.3 (SignalStore.removePreKey: kept a
//   while, out of the bundle; it is the same key pair in both bundles, see keys in KeyWork).
// - A session replaced by a new one is kept one level back (SessionRecord.previous): messages sent in
//   it before the peer learnt of the new one still decrypt.
// - Sessions are stored beside 0.3's, under the address "omemo2:<jid>.<device>", through the same
//   SignalStore: a held decrypt keeps back its session and used prekey until the message is stored,
//   exactly as 0.3's do.
// - Identity keys go through SignalStore.saveIdentity in their 0x05-typed Montgomery form
//   (identity.ts), so trust rules and fingerprints are the same as for 0.3.
// - X25519 and signature checks run on the curve 0.3 uses (../omemo/webcrypto-curve.ts): the
//   platform's WebCrypto where a probe found it working, @noble elsewhere (React Native).
import { HushError, OmemoDeviceError } from '../errors.ts';
import type { XmppSession } from '../xmpp/session.ts';
import type { OmemoStore } from '../storage/types.ts';
import type { RandomBytes } from '../util/random.ts';
import { decodeBase64, encodeBase64 } from '../util/base64.ts';
import { equalBytes, toArrayBuffer } from '../omemo/bytes.ts';
import type { SignalStore } from '../omemo/signal-store.ts';
import { createCurveBackend } from '../omemo/webcrypto-curve.ts';
import type { Target } from '../omemo/sessions.ts';
import { ed25519PublicKey, recordKeyOf } from './identity.ts';
import type { Omemo2Key } from './message.ts';
import { fetchBundle } from './pep.ts';
import { readKeyExchange, readAuthenticated, readMessage, writeKeyExchange } from './proto.ts';
import {
  RatchetError,
  ratchetDecryptOn,
  ratchetEncrypt,
  startActiveOn,
  startPassiveOn,
  type RatchetState,
} from './ratchet.ts';
import { agreeActiveOn, agreePassiveOn, type AgreementCurve, type OwnIdentity } from './x3dh.ts';

interface SessionRecord {
  readonly ratchet: RatchetState;
  readonly ad: string;
  /** The initiator's key exchange, sent until the session is confirmed. */
  readonly kex?: { pkId: number; spkId: number; ik: string; ek: string };
  readonly confirmed: boolean;
  /** The ephemeral key of the key exchange this session was built from (responder). */
  readonly ek?: string;
  /**
   * The session this one replaced (a repair, or the peer's new key exchange): messages already on
   * their way in it still decrypt, as libsignal's archived sessions do for 0.3.
   */
  readonly previous?: SessionRecord;
}

/** A record to keep as `previous`: one level back is enough. */
function withoutPrevious(record: SessionRecord | undefined): SessionRecord | undefined {
  if (!record) return undefined;
  const copy: { -readonly [K in keyof SessionRecord]: SessionRecord[K] } = { ...record };
  delete copy.previous;
  return copy;
}

export function sessionAddress(jid: string, deviceId: number): string {
  return `omemo2:${jid}.${deviceId}`;
}

function bytes(text: string): Uint8Array {
  const decoded = decodeBase64(text);
  if (!decoded) throw new HushError('ProtocolError', 'A stored OMEMO 2 session is damaged.');
  return decoded;
}

/** libsignal keeps public keys with a 0x05 type byte; OMEMO 2 uses the 32 raw bytes. */
export function rawKey(key: Uint8Array): Uint8Array {
  return key.length === 33 ? key.subarray(1) : key;
}

export interface Omemo2SessionsDeps {
  readonly session: XmppSession;
  readonly store: OmemoStore;
  readonly signal: SignalStore;
  readonly account: string;
  readonly randomBytes: RandomBytes;
  readonly onIdentityChanged: (target: Target) => void;
  /** A device that could not be encrypted for (the others still are). */
  readonly report: (error: unknown) => void;
  /** The curve (tests and benchmarks choose one); by default the platform's, as 0.3's. */
  readonly curve?: AgreementCurve;
}

export class Omemo2Sessions {
  readonly #deps: Omemo2SessionsDeps;
  /** Work on each session, one step at a time (libsignal's SessionCipher queues likewise). */
  readonly #queues = new Map<string, Promise<unknown>>();
  #curve: Promise<AgreementCurve> | undefined;
  /** This device's identity as X3DH uses it, for the private key it was made from. */
  #identity: { readonly privateKey: Uint8Array; readonly own: OwnIdentity } | undefined;

  constructor(deps: Omemo2SessionsDeps) {
    this.#deps = deps;
  }

  #curveBackend(): Promise<AgreementCurve> {
    this.#curve ??= this.#deps.curve ? Promise.resolve(this.#deps.curve) : createCurveBackend();
    return this.#curve;
  }

  /**
   * Runs `work` after every earlier step on `target`'s session: two steps that both read the
   * ratchet before either stores it would reuse a message key (a key-transport answer racing a
   * message, a decrypt racing an encrypt).
   */
  #serial<T>(target: Target, work: () => Promise<T>): Promise<T> {
    const address = sessionAddress(target.jid, target.deviceId);
    const run = (this.#queues.get(address) ?? Promise.resolve()).then(work, work);
    const settled = run.catch(() => undefined);
    this.#queues.set(address, settled);
    void settled.then(() => {
      if (this.#queues.get(address) === settled) this.#queues.delete(address);
    });
    return run;
  }

  async #own(): Promise<OwnIdentity> {
    const identity = await this.#deps.store.getIdentity(this.#deps.account);
    if (!identity) throw new HushError('ProtocolError', 'OMEMO has not started.');
    // The Ed25519 form is a scalar multiplication on @noble: made once per identity key.
    const known = this.#identity;
    if (known && equalBytes(known.privateKey, identity.privateKey)) return known.own;
    const own = {
      privateKey: identity.privateKey,
      edPublicKey: ed25519PublicKey(identity.privateKey),
    };
    this.#identity = { privateKey: identity.privateKey.slice(), own };
    return own;
  }

  async #load(target: Target): Promise<SessionRecord | undefined> {
    const text = await this.#deps.signal.loadSession(sessionAddress(target.jid, target.deviceId));
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as SessionRecord;
    } catch {
      return undefined;
    }
  }

  async #save(target: Target, record: SessionRecord): Promise<void> {
    await this.#deps.signal.storeSession(
      sessionAddress(target.jid, target.deviceId),
      JSON.stringify(record),
    );
  }

  /** Records the device's identity key; throws UntrustedIdentity when it changed. */
  async #checkIdentity(target: Target, edKey: Uint8Array, changeThrows: boolean): Promise<void> {
    const key = recordKeyOf(edKey);
    if (!key) throw new RatchetError('The OMEMO 2 identity key is not a usable key.');
    const known = await this.#deps.store.getDevice(this.#deps.account, target.jid, target.deviceId);
    if (changeThrows && known?.identityKey && !equalBytes(known.identityKey, key)) {
      await this.#deps.signal.saveIdentity(`${target.jid}.${target.deviceId}`, toArrayBuffer(key));
      throw new OmemoDeviceError(
        'UntrustedIdentity',
        `Device ${target.deviceId} of ${target.jid} has a new identity key.`,
        target,
      );
    }
    // saveIdentity reports a change through onIdentityChange itself.
    await this.#deps.signal.saveIdentity(`${target.jid}.${target.deviceId}`, toArrayBuffer(key));
  }

  /**
   * Reads the device's identity key from its bundle and records it (for a fingerprint to show before
   * any message); throws UntrustedIdentity when it changed.
   */
  async learnIdentity(target: Target): Promise<void> {
    const bundle = await fetchBundle(this.#deps.session, target.jid, target.deviceId);
    await this.#checkIdentity(target, bundle.identityKey, true);
  }

  /** A new session from the device's bundle (replacing any other once a message uses it). */
  async build(target: Target): Promise<SessionRecord> {
    const bundle = await fetchBundle(this.#deps.session, target.jid, target.deviceId);
    await this.#checkIdentity(target, bundle.identityKey, true);
    const own = await this.#own();
    const curve = await this.#curveBackend();
    const agreement = await agreeActiveOn(curve, own, bundle, this.#deps.randomBytes);
    const { keyExchange } = agreement;
    return {
      ratchet: await startActiveOn(
        curve,
        agreement.sharedSecret,
        bundle.signedPreKey.publicKey,
        this.#deps.randomBytes,
      ),
      ad: encodeBase64(agreement.associatedData),
      kex: {
        pkId: keyExchange.pkId,
        spkId: keyExchange.spkId,
        ik: encodeBase64(keyExchange.ik),
        ek: encodeBase64(keyExchange.ek),
      },
      confirmed: false,
    };
  }

  /** Replaces the session with `target` by a new one from its bundle (a repair). */
  async rebuild(target: Target): Promise<void> {
    await this.#serial(target, () => this.#rebuild(target));
  }

  async #rebuild(target: Target): Promise<void> {
    const previous = withoutPrevious(await this.#load(target));
    const record = await this.build(target);
    await this.#save(target, previous ? { ...record, previous } : record);
  }

  /** Encrypts the key material for each target; devices that fail are reported and left out. */
  async encryptKey(targets: readonly Target[], keyMaterial: Uint8Array): Promise<Omemo2Key[]> {
    const keys: Omemo2Key[] = [];
    await Promise.all(
      targets.map(async (target) => {
        try {
          await this.#serial(target, () => this.#encryptOne(target, keyMaterial, keys));
        } catch (error) {
          // One unreachable or changed device must not stop the message to the others.
          this.#deps.report(error);
        }
      }),
    );
    keys.sort((a, b) => a.rid - b.rid);
    return keys;
  }

  async #encryptOne(target: Target, keyMaterial: Uint8Array, keys: Omemo2Key[]): Promise<void> {
    const record = (await this.#load(target)) ?? (await this.build(target));
    const sealed = ratchetEncrypt(record.ratchet, keyMaterial, bytes(record.ad));
    await this.#save(target, { ...record, ratchet: sealed.state });
    const kex = !record.confirmed && record.kex;
    keys.push({
      jid: target.jid,
      rid: target.deviceId,
      kex: Boolean(kex),
      data: kex
        ? writeKeyExchange({
            pkId: kex.pkId,
            spkId: kex.spkId,
            ik: bytes(kex.ik),
            ek: bytes(kex.ek),
            message: sealed.message,
          })
        : sealed.message,
    });
  }

  /**
   * Decrypts the key material of a message from `sender`'s device `deviceId`; `built` when a key
   * exchange made a new session (its one-time prekey is then retired). Throws RatchetError (or
   * another Undecryptable HushError) for a message that cannot be read; nothing is stored then.
   */
  async decryptKey(
    sender: Target,
    key: Omemo2Key,
  ): Promise<{ keyMaterial: Uint8Array; built: boolean }> {
    return this.#serial(sender, () => this.#decryptKey(sender, key));
  }

  async #decryptKey(
    sender: Target,
    key: Omemo2Key,
  ): Promise<{ keyMaterial: Uint8Array; built: boolean }> {
    const record = await this.#load(sender);
    const curve = await this.#curveBackend();
    const ratchetDecrypt = (state: RatchetState, message: Uint8Array, ad: Uint8Array) =>
      ratchetDecryptOn(curve, state, message, ad, this.#deps.randomBytes);
    if (!key.kex) {
      if (!record) throw new RatchetError('There is no OMEMO 2 session with this device.');
      try {
        const opened = await ratchetDecrypt(record.ratchet, key.data, bytes(record.ad));
        await this.#save(sender, { ...record, ratchet: opened.state, confirmed: true });
        return { keyMaterial: opened.plaintext, built: false };
      } catch (error) {
        const previous = record.previous;
        if (!previous || (error instanceof RatchetError && error.duplicate)) throw error;
        // Sent in the session this one replaced, before the peer learnt of the new one.
        const opened = await ratchetDecrypt(previous.ratchet, key.data, bytes(previous.ad));
        await this.#save(sender, { ...record, previous: { ...previous, ratchet: opened.state } });
        return { keyMaterial: opened.plaintext, built: false };
      }
    }
    const exchange = readKeyExchange(key.data);
    if (!exchange || exchange.ek.length !== 32 || exchange.ik.length !== 32) {
      throw new RatchetError('The OMEMO 2 key exchange is malformed.');
    }
    const ek = encodeBase64(exchange.ek);
    // The same key exchange again (a repeat, or the archive's copy): its session exists, the current
    // one or the one it replaced; building it anew would throw away a newer session.
    if (record?.ek === ek) {
      const opened = await ratchetDecrypt(record.ratchet, exchange.message, bytes(record.ad));
      await this.#save(sender, { ...record, ratchet: opened.state });
      return { keyMaterial: opened.plaintext, built: false };
    }
    const previous = record?.previous;
    if (record && previous?.ek === ek) {
      const opened = await ratchetDecrypt(previous.ratchet, exchange.message, bytes(previous.ad));
      await this.#save(sender, { ...record, previous: { ...previous, ratchet: opened.state } });
      return { keyMaterial: opened.plaintext, built: false };
    }
    const signed = await this.#deps.signal.loadSignedPreKey(exchange.spkId);
    const preKey = await this.#deps.signal.loadPreKey(exchange.pkId);
    if (!signed || !preKey) {
      throw new RatchetError(
        `The OMEMO 2 key exchange names a prekey this device does not have (${exchange.spkId}/${exchange.pkId}).`,
      );
    }
    const inner = readAuthenticated(exchange.message);
    const header = inner && readMessage(inner.message);
    if (!header || header.dhPub.length !== 32) {
      throw new RatchetError('The OMEMO 2 key exchange carries a malformed message.');
    }
    const own = await this.#own();
    const agreement = await agreePassiveOn(
      curve,
      own,
      {
        signedPreKeyPriv: new Uint8Array(signed.privKey),
        preKeyPriv: new Uint8Array(preKey.privKey),
      },
      exchange.ik,
      exchange.ek,
    );
    const ratchet = await startPassiveOn(
      curve,
      agreement.sharedSecret,
      new Uint8Array(signed.privKey),
      header.dhPub,
      this.#deps.randomBytes,
    );
    const opened = await ratchetDecrypt(ratchet, exchange.message, agreement.associatedData);
    // Only a key exchange that decrypted may record a key: anyone can send one.
    await this.#checkIdentity(sender, exchange.ik, false);
    const replaced = withoutPrevious(record);
    await this.#save(sender, {
      ratchet: opened.state,
      ad: encodeBase64(agreement.associatedData),
      confirmed: true,
      ek,
      ...(replaced ? { previous: replaced } : {}),
    });
    await this.#deps.signal.removePreKey(exchange.pkId);
    return { keyMaterial: opened.plaintext, built: true };
  }
}
