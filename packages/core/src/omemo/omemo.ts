// XEP-0384 OMEMO Encryption (legacy 0.3) — https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
// OMEMO for one account on this device, plugged into chat as its EncryptionHook: every message is
// encrypted for all of the peer's usable devices and this account's other devices; every incoming
// one is decrypted, or stored as undecryptable with a typed reason (never dropped).
//
// Decisions (doc/design.md, "End-to-end encryption"):
// - Fail closed: no device, no trusted device or no reachable device is an error, never plain text.
// - Blind trust before verification (as Conversations): a new device is trusted blindly until the
//   person verifies one of the contact's devices; after that, new devices wait for a decision,
//   however they are first learnt of. A changed identity key is never trusted silently. The rules
//   live in trust.ts; every automatic write of a device goes through its ruledStore.
// - Devices whose last message is older than staleDeviceMs stop getting keys (device lists keep
//   devices of reinstalled apps forever; encrypting for them leaks nothing but costs and confuses).
// - A message that does not decrypt triggers a session repair: a new session from the sender's
//   bundle and an empty key-transport message, at most once per device per repairIntervalMs.
import xml, { type Element } from '@xmpp/xml';
import {
  SessionCipher,
  SignalProtocolAddress,
} from '@privacyresearch/libsignal-protocol-typescript';
import { HushError, isHushError } from '../errors.ts';
import type { XmppSession } from '../xmpp/session.ts';
import type { OmemoDevice, OmemoStore, OmemoTrust } from '../storage/types.ts';
import type { DecryptResult, EncryptionHook, ParsedChatMessage } from '../chat/types.ts';
import { DEVICE_LIST_NODE, normalizePublicKey } from './bundle.ts';
import { equalBytes, toArrayBuffer } from './bytes.ts';
import { installNobleCrypto, resolveRandomBytes, type RandomBytes } from './crypto-provider.ts';
import {
  DEFAULT_KEY_POLICY,
  currentBundle,
  ensureIdentity,
  maintainKeys,
  type KeyPolicy,
} from './keys.ts';
import {
  FALLBACK_BODY,
  NS_EME,
  NS_HINTS,
  buildEncrypted,
  decryptPayload,
  encryptPayload,
  keyTransportMaterial,
  parseEncrypted,
} from './message.ts';
import { onDeviceListUpdate, publishBundle } from './pep.ts';
import { SignalStore } from './signal-store.ts';
import { DeviceLists } from './device-lists.ts';
import { Sessions, type Target } from './sessions.ts';
import {
  fingerprintOf,
  formatVerificationUri,
  mayEncryptFor,
  normalizeFingerprint,
  parseVerificationUri,
  ruledStore,
  senderWarning,
} from './trust.ts';
import { NS_OMEMO_LEGACY } from './bundle.ts';
import { bareJid } from '../util/jid.ts';

const DAY = 24 * 60 * 60 * 1000;

export interface OmemoOptions {
  readonly session: XmppSession;
  readonly store: OmemoStore;
  readonly randomBytes?: RandomBytes;
  readonly now?: () => number;
  readonly keyPolicy?: Partial<KeyPolicy>;
  /** Devices with no message for this long get no keys (default 90 days). */
  readonly staleDeviceMs?: number;
  /** A cached device list older than this is fetched again before encrypting (default 10 min). */
  readonly deviceListMaxAgeMs?: number;
  /** At most one session repair per device in this interval (default 1 h). */
  readonly repairIntervalMs?: number;
  /**
   * After a PreKey message, an empty key-transport message answers the sending device after this
   * long (default 2 s, so a burst gets one answer): its session is then complete, and it stops
   * sending PreKey messages even if this person never writes back.
   */
  readonly preKeyAckDelayMs?: number;
}

/** A device as a UI lists it: whose, which, its fingerprint and how far it is trusted. */
export interface OmemoDeviceInfo {
  readonly jid: string;
  readonly deviceId: number;
  /** 64 hex digits, once the identity key is known (from a bundle or a message). */
  readonly fingerprint?: string;
  readonly trust: OmemoTrust;
  readonly active: boolean;
  readonly stale: boolean;
  /** This very device. */
  readonly current: boolean;
  readonly lastSeen: number;
}

export type OmemoEvent =
  | { readonly type: 'identity-changed'; readonly jid: string; readonly deviceId: number }
  | { readonly type: 'devices'; readonly jid: string }
  | { readonly type: 'repair'; readonly jid: string; readonly deviceId: number }
  | { readonly type: 'error'; readonly error: HushError };

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class Omemo implements EncryptionHook {
  readonly account: string;
  readonly #session: XmppSession;
  readonly #store: OmemoStore;
  /** The store for everything but the person's own trust decisions (trust.ts). */
  readonly #ruled: OmemoStore;
  readonly #signal: SignalStore;
  /** A held PreKey message used a one-time prekey: refill the bundle once it is settled. */
  #maintainOnSettle = false;
  readonly #randomBytes: RandomBytes;
  readonly #now: () => number;
  readonly #policy: KeyPolicy;
  readonly #staleDeviceMs: number;
  readonly #repairIntervalMs: number;
  readonly #lastRepair = new Map<string, number>();
  readonly #preKeyAckDelayMs: number;
  readonly #pendingAcks = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #seenWritten = new Map<string, number>();
  readonly #lists: DeviceLists;
  readonly #sessions: Sessions;
  readonly #listeners = new Set<(event: OmemoEvent) => void>();
  readonly #unsubscribe: (() => void)[] = [];
  /** Key maintenance and bundle publishing run one at a time. */
  #keyWork: Promise<void> = Promise.resolve();
  #deviceId = 0;
  #createdAt = 0;

  constructor(options: OmemoOptions) {
    this.#randomBytes = resolveRandomBytes(options.randomBytes);
    installNobleCrypto({ randomBytes: this.#randomBytes });
    this.#session = options.session;
    this.#store = options.store;
    this.#ruled = ruledStore(options.store);
    this.account = bareJid(options.session.jid);
    this.#now = options.now ?? Date.now;
    this.#policy = { ...DEFAULT_KEY_POLICY, ...options.keyPolicy };
    this.#staleDeviceMs = options.staleDeviceMs ?? 90 * DAY;
    this.#repairIntervalMs = options.repairIntervalMs ?? 60 * 60 * 1000;
    this.#preKeyAckDelayMs = options.preKeyAckDelayMs ?? 2000;
    this.#signal = new SignalStore(this.#ruled, this.account, this.#now, (change) =>
      this.#emit({ type: 'identity-changed', ...change }),
    );
    this.#lists = new DeviceLists({
      session: this.#session,
      store: this.#ruled,
      account: this.account,
      now: this.#now,
      maxAgeMs: options.deviceListMaxAgeMs ?? 10 * 60 * 1000,
      ownDeviceId: () => this.#deviceId,
      onChange: (jid) => this.#emit({ type: 'devices', jid }),
      report: (error) => this.#report(error),
    });
    this.#sessions = new Sessions({
      session: this.#session,
      store: this.#ruled,
      signal: this.#signal,
      account: this.account,
      randomBytes: this.#randomBytes,
      onIdentityChanged: (target) => this.#emit({ type: 'identity-changed', ...target }),
      report: (error) => {
        // A bundle readable by contacts only: ask to see their presence (device-lists.ts).
        void this.#lists.noticeFailure(error).catch(() => undefined);
        this.#report(error);
      },
    });
  }

  /** The PEP feature that makes the server push device-list changes (for XEP-0115 caps). */
  static readonly features: readonly string[] = [`${DEVICE_LIST_NODE}+notify`];

  /** This device's OMEMO device id (after start). */
  get deviceId(): number {
    return this.#deviceId;
  }

  subscribe(listener: (event: OmemoEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Makes this device's keys on first use, rotates and refills them, publishes the bundle, and makes
   * sure the account's device list names this device. Listens for device-list changes.
   */
  async start(): Promise<void> {
    const identity = await ensureIdentity(
      this.#store,
      this.account,
      this.#randomBytes,
      this.#now(),
    );
    this.#deviceId = identity.deviceId;
    this.#createdAt = identity.createdAt;
    this.#unsubscribe.push(
      onDeviceListUpdate(this.#session, (update) => {
        void this.#lists.apply(update).catch((error: unknown) => this.#report(error));
      }),
      this.#lists.listen(),
    );
    await this.#maintain(true);
    await this.#lists.refresh(this.account, true);
  }

  close(): void {
    for (const stop of this.#unsubscribe.splice(0)) stop();
    for (const timer of this.#pendingAcks.values()) clearTimeout(timer);
    this.#pendingAcks.clear();
  }

  async settle(commit: boolean): Promise<void> {
    await this.#signal.release(commit);
    if (this.#maintainOnSettle) {
      this.#maintainOnSettle = false;
      await this.#maintain(false);
    }
  }

  /** Rotates the signed prekey when due and republishes; call now and then (e.g. on reconnect). */
  async maintain(): Promise<void> {
    await this.#maintain(false);
  }

  // ---- EncryptionHook ----------------------------------------------------------------------

  async encrypt(message: { to: string; body: string; stanza: Element }): Promise<Element> {
    const peer = bareJid(message.to);
    const targets = await this.#targets(peer);
    const { payload, iv, keyMaterial } = encryptPayload(message.body, this.#randomBytes);
    const keys = await this.#sessions.encryptKey(targets, keyMaterial);
    if (!keys.some((key) => key.jid === peer)) {
      throw new HushError('NoOmemoDevice', `Could not encrypt for any device of ${peer}.`);
    }
    const stanza = xml(
      'message',
      { ...message.stanza.attrs },
      ...message.stanza.getChildElements().filter((child) => !child.is('body')),
      buildEncrypted({ sid: this.#deviceId, keys, iv, payload }),
      xml('body', {}, FALLBACK_BODY),
      // Archived although it has no readable body (once: the chat stanza may carry it already).
      ...(message.stanza.getChild('store', NS_HINTS) ? [] : [xml('store', { xmlns: NS_HINTS })]),
      xml('encryption', { xmlns: NS_EME, namespace: NS_OMEMO_LEGACY, name: 'OMEMO' }),
    );
    return stanza;
  }

  async decrypt(
    message: ParsedChatMessage,
    options: { readonly hold?: boolean } = {},
  ): Promise<DecryptResult> {
    // A held decrypt the caller never settled is kept: nothing may wait for it for ever.
    await this.#signal.release(true);
    const encrypted = parseEncrypted(message.element);
    if (encrypted === null) {
      // Every conversation is encrypted here, so a plain body is shown only marked: the server, or
      // a client without OMEMO, put it there.
      if (message.body === undefined) return { encrypted: false, body: undefined };
      return {
        encrypted: false,
        body: message.body,
        warning: new HushError(
          'Unencrypted',
          'Not encrypted: the server or anyone on the way could have read or changed it.',
        ),
      };
    }
    const sender = bareJid(message.from);
    if (encrypted === 'malformed') {
      return this.#undecryptable('The encrypted message is malformed (bad header, IV or base64).');
    }
    if (sender === this.account && encrypted.sid === this.#deviceId) {
      return { encrypted: true, ignore: 'own-echo' };
    }
    // Lists are pushed to presence subscribers only: a device no known list names gets them
    // fetched again (device-lists.ts).
    await this.#lists.noticeMessage(
      sender,
      encrypted.sid,
      encrypted.keys.map((key) => key.rid),
    );
    const key = encrypted.keys.find((candidate) => candidate.rid === this.#deviceId);
    if (!key) {
      // A session-building message for the sender's other devices (python-omemo sends one to the
      // whole account after each PreKey message), or archive history older than this device.
      if (!encrypted.payload) return { encrypted: true, ignore: 'key-transport' };
      if (message.timestamp !== undefined && message.timestamp < this.#createdAt) {
        return { encrypted: true, ignore: 'before-device' };
      }
      return {
        encrypted: true,
        error: new HushError(
          'NotEncryptedForDevice',
          `The message was not encrypted for this device (${this.#deviceId}).`,
        ),
      };
    }
    if (key.data.length === 0) {
      return this.#undecryptable('The key for this device is empty or not valid base64.');
    }
    const address = new SignalProtocolAddress(sender, encrypted.sid);
    const cipher = new SessionCipher(this.#signal, address);
    let keyMaterial: Uint8Array;
    if (options.hold) this.#signal.hold(address.toString());
    try {
      const plain = key.preKey
        ? await cipher.decryptPreKeyWhisperMessage(toArrayBuffer(key.data), 'binary')
        : await cipher.decryptWhisperMessage(toArrayBuffer(key.data), 'binary');
      keyMaterial = new Uint8Array(plain);
      this.#signal.decrypted();
    } catch (error) {
      // Nothing of a failed decrypt is worth keeping back.
      await this.#signal.release(true);
      const text = errorText(error);
      // The chain's key for this counter is gone: this exact message was decrypted before.
      if (/counter was repeated|Message key not found/i.test(text)) {
        // A key-transport message seen again (live, then from the archive) carries nothing to keep.
        return { encrypted: true, ignore: encrypted.payload ? 'duplicate' : 'key-transport' };
      }
      this.#scheduleRepair(sender, encrypted.sid);
      return this.#undecryptable(`The message could not be decrypted: ${text}`);
    }
    await this.#seen(sender, encrypted.sid);
    if (key.preKey) {
      // The used one-time prekey goes once the message is stored (settle), and only then is the
      // bundle refilled: a held removal is not on disk yet.
      if (options.hold) this.#maintainOnSettle = true;
      else await this.#maintain(false);
      this.#answerPreKey(sender, encrypted.sid);
    }
    if (!encrypted.payload) return { encrypted: true, ignore: 'key-transport' };
    let body: string;
    try {
      body = decryptPayload(keyMaterial, encrypted.iv, encrypted.payload);
    } catch (error) {
      return this.#undecryptable(`The message was altered or damaged: ${errorText(error)}`);
    }
    // A refused or undecided device can still write: what it says is shown, marked, never passed
    // off as coming from a trusted device.
    const device = await this.#store.getDevice(this.account, sender, encrypted.sid);
    const warning = senderWarning(device, encrypted.sid);
    return warning ? { encrypted: true, body, warning } : { encrypted: true, body };
  }

  // ---- Trust -------------------------------------------------------------------------------

  /** This device's fingerprint (64 hex digits). */
  async fingerprint(): Promise<string> {
    const identity = await this.#store.getIdentity(this.account);
    if (!identity) throw new HushError('ProtocolError', 'OMEMO has not started.');
    return fingerprintOf(identity.publicKey);
  }

  /** The `xmpp:` URI with this device's fingerprint, for a QR code others scan to verify it. */
  async verificationUri(): Promise<string> {
    return formatVerificationUri({
      jid: this.account,
      devices: [{ deviceId: this.#deviceId, fingerprint: await this.fingerprint() }],
    });
  }

  /** The known devices of `jid` (after fetching its current list), or of this account. */
  async devices(jid: string = this.account, refresh = true): Promise<OmemoDeviceInfo[]> {
    const owner = bareJid(jid);
    if (refresh) {
      await this.#lists.refresh(owner, true).catch(() => undefined);
      // A device known only from the list has no fingerprint to show yet: its bundle (and with it
      // a session, as the first message would build) gives one. A device whose bundle is missing
      // or whose key changed keeps showing what is known.
      const unknown = (await this.#store.listDevices(this.account, owner)).filter(
        (device) =>
          !device.identityKey &&
          device.active &&
          !(owner === this.account && device.deviceId === this.#deviceId),
      );
      await Promise.all(
        unknown.map((device) =>
          this.#sessions.build({ jid: owner, deviceId: device.deviceId }).catch(() => undefined),
        ),
      );
    }
    const now = this.#now();
    const devices = await this.#store.listDevices(this.account, owner);
    const list: OmemoDeviceInfo[] = devices.map((device) => ({
      jid: device.jid,
      deviceId: device.deviceId,
      ...(device.identityKey ? { fingerprint: fingerprintOf(device.identityKey) } : {}),
      trust: device.trust,
      active: device.active,
      stale: now - device.lastSeen > this.#staleDeviceMs,
      current: false,
      lastSeen: device.lastSeen,
    }));
    if (owner === this.account) {
      const identity = await this.#store.getIdentity(this.account);
      if (identity) {
        list.unshift({
          jid: owner,
          deviceId: identity.deviceId,
          fingerprint: fingerprintOf(identity.publicKey),
          trust: 'verified',
          active: true,
          stale: false,
          current: true,
          lastSeen: now,
        });
      }
    }
    return list;
  }

  /** Trusts the device of `jid` whose key has this fingerprint (manual trust, after a change too). */
  async trust(jid: string, fingerprint: string): Promise<OmemoDeviceInfo> {
    return this.#setTrust(jid, fingerprint, 'blind');
  }

  /** Marks the device of `jid` with this fingerprint verified. */
  async verify(jid: string, fingerprint: string): Promise<OmemoDeviceInfo> {
    return this.#setTrust(jid, fingerprint, 'verified');
  }

  /** Stops encrypting for the device of `jid` with this fingerprint. */
  async distrust(jid: string, fingerprint: string): Promise<OmemoDeviceInfo> {
    return this.#setTrust(jid, fingerprint, 'distrusted');
  }

  /**
   * Verifies every device an `xmpp:…?omemo-sid-<id>=<fingerprint>` URI names (a scanned QR code).
   * A device whose known key differs from the URI's is not verified: that is a UntrustedIdentity
   * error, since either the code or the key is not what the person thinks.
   */
  async verifyUri(text: string): Promise<OmemoDeviceInfo[]> {
    const uri = parseVerificationUri(text);
    if (!uri || uri.devices.length === 0) {
      throw new HushError('ProtocolError', 'This is not an OMEMO verification code.');
    }
    await this.#lists.refresh(uri.jid, true).catch(() => undefined);
    const verified: OmemoDeviceInfo[] = [];
    for (const { deviceId, fingerprint } of uri.devices) {
      const known = await this.#store.getDevice(this.account, uri.jid, deviceId);
      const key = normalizePublicKey(hexToBytes(fingerprint));
      if (!key) continue;
      if (known?.identityKey && !equalBytes(known.identityKey, key)) {
        throw new HushError(
          'UntrustedIdentity',
          `Device ${deviceId} of ${uri.jid} has a different key than this code shows.`,
        );
      }
      const now = this.#now();
      await this.#store.putDevice(this.account, {
        jid: uri.jid,
        deviceId,
        identityKey: key,
        trust: 'verified',
        active: known?.active ?? false,
        firstSeen: known?.firstSeen ?? now,
        lastSeen: known?.lastSeen ?? now,
      });
      verified.push(...(await this.devices(uri.jid, false)).filter((d) => d.deviceId === deviceId));
    }
    this.#emit({ type: 'devices', jid: uri.jid });
    return verified;
  }

  /**
   * Sends an empty OMEMO message (key transport) to every usable device of `jid`: builds the
   * sessions, so the first real message is not a PreKey message, and repairs broken ones.
   */
  async sendKeyTransport(jid: string, only?: readonly number[]): Promise<void> {
    const owner = bareJid(jid);
    let targets = await this.#targets(owner);
    if (only) targets = targets.filter((t) => t.jid === owner && only.includes(t.deviceId));
    const { iv, keyMaterial } = keyTransportMaterial(this.#randomBytes);
    const keys = await this.#sessions.encryptKey(targets, keyMaterial);
    if (keys.length === 0) return;
    await this.#session.send(
      xml(
        'message',
        { to: owner, type: 'chat', id: `kt-${Date.now().toString(36)}` },
        buildEncrypted({ sid: this.#deviceId, keys, iv }),
        xml('store', { xmlns: NS_HINTS }),
      ),
    );
  }

  // ---- internals -----------------------------------------------------------------------------

  async #maintain(force: boolean): Promise<void> {
    const work = this.#keyWork.then(async () => {
      const identity = await this.#store.getIdentity(this.account);
      if (!identity) return;
      const changed = await maintainKeys(
        this.#store,
        this.account,
        identity,
        this.#policy,
        this.#now(),
        this.#randomBytes,
      );
      if (changed || force) {
        await publishBundle(
          this.#session,
          identity.deviceId,
          await currentBundle(this.#store, this.account, identity),
        );
      }
    });
    this.#keyWork = work.catch(() => undefined);
    await work;
  }

  /** The devices a message to `peer` is encrypted for; throws the reason when the peer has none. */
  async #targets(peer: string): Promise<Target[]> {
    try {
      await this.#lists.refresh(peer);
    } catch (error) {
      throw new HushError('NoOmemoDevice', `No OMEMO devices of ${peer}: ${errorText(error)}`, {
        cause: error,
      });
    }
    await this.#lists.refresh(this.account).catch((error: unknown) => this.#report(error));
    const now = this.#now();
    const usable = (device: OmemoDevice) => mayEncryptFor(device, now, this.#staleDeviceMs);
    const peerDevices = (await this.#store.listDevices(this.account, peer)).filter((d) => d.active);
    if (peerDevices.length === 0) {
      throw new HushError(
        'NoOmemoDevice',
        `${peer} has no OMEMO device: the message cannot be sent encrypted.`,
      );
    }
    const peerTargets = peerDevices.filter(usable);
    if (peerTargets.length === 0) {
      if (peerDevices.some((device) => device.trust === 'untrusted')) {
        throw new HushError(
          'UntrustedIdentity',
          `The keys of ${peer} changed or are new: check and trust them before sending.`,
        );
      }
      throw new HushError('NoTrustedDevice', `None of the devices of ${peer} is trusted.`);
    }
    const own =
      peer === this.account
        ? []
        : (await this.#store.listDevices(this.account, this.account)).filter(usable);
    return [...peerTargets, ...own].map(({ jid, deviceId }) => ({ jid, deviceId }));
  }

  /** One key-transport answer per device after a PreKey message (or a burst of them). */
  #answerPreKey(jid: string, deviceId: number): void {
    if (jid === this.account && deviceId === this.#deviceId) return;
    const key = `${jid}/${deviceId}`;
    if (this.#pendingAcks.has(key)) return;
    const timer = setTimeout(() => {
      this.#pendingAcks.delete(key);
      // Best effort: without it the peer only keeps sending PreKey messages until a reply.
      void this.sendKeyTransport(jid, [deviceId]).catch(() => undefined);
    }, this.#preKeyAckDelayMs);
    (timer as { unref?: () => void }).unref?.();
    this.#pendingAcks.set(key, timer);
  }

  #scheduleRepair(jid: string, deviceId: number): void {
    const key = `${jid}/${deviceId}`;
    const last = this.#lastRepair.get(key);
    const now = this.#now();
    if (last !== undefined && now - last < this.#repairIntervalMs) return;
    this.#lastRepair.set(key, now);
    void (async () => {
      // The old session is archived, not deleted: messages already on their way in it still decrypt
      // (libsignal tries archived sessions too) while the peer switches to the new one.
      await this.#sessions.build({ jid, deviceId });
      const { iv, keyMaterial } = keyTransportMaterial(this.#randomBytes);
      const keys = await this.#sessions.encryptKey([{ jid, deviceId }], keyMaterial);
      if (keys.length === 0) return;
      await this.#session.send(
        xml(
          'message',
          { to: jid, type: 'chat', id: `repair-${now.toString(36)}` },
          buildEncrypted({ sid: this.#deviceId, keys, iv }),
          xml('store', { xmlns: NS_HINTS }),
        ),
      );
      this.#emit({ type: 'repair', jid, deviceId });
    })().catch((error: unknown) => this.#report(error));
  }

  async #seen(jid: string, deviceId: number): Promise<void> {
    const key = `${jid}/${deviceId}`;
    const now = this.#now();
    // lastSeen only decides staleness (days), so one write an hour per device is enough.
    if (now - (this.#seenWritten.get(key) ?? -Infinity) < 60 * 60 * 1000) return;
    const known = await this.#store.getDevice(this.account, jid, deviceId);
    if (known) {
      await this.#ruled.putDevice(this.account, { ...known, lastSeen: now });
      this.#seenWritten.set(key, now);
    }
  }

  async #setTrust(jid: string, fingerprint: string, trust: OmemoTrust): Promise<OmemoDeviceInfo> {
    const owner = bareJid(jid);
    const wanted = normalizeFingerprint(fingerprint);
    if (!wanted) throw new HushError('ProtocolError', `'${fingerprint}' is not a fingerprint.`);
    await this.#lists.refresh(owner, true).catch(() => undefined);
    const devices = await this.#store.listDevices(this.account, owner);
    const device = devices.find((d) => d.identityKey && fingerprintOf(d.identityKey) === wanted);
    if (!device) {
      throw new HushError('NoOmemoDevice', `No known device of ${owner} has that fingerprint.`);
    }
    await this.#store.putDevice(this.account, { ...device, trust });
    this.#emit({ type: 'devices', jid: owner });
    const info = (await this.devices(owner, false)).find((d) => d.deviceId === device.deviceId);
    if (!info) throw new HushError('ProtocolError', 'The device vanished.');
    return info;
  }

  #undecryptable(message: string): DecryptResult {
    return { encrypted: true, error: new HushError('Undecryptable', message) };
  }

  #report(error: unknown): void {
    this.#emit({
      type: 'error',
      error: isHushError(error)
        ? error
        : new HushError('ProtocolError', errorText(error), { cause: error }),
    });
  }

  #emit(event: OmemoEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
