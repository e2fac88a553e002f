// XEP-0384 OMEMO Encryption (legacy 0.3) — https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
// XEP-0384 OMEMO Encryption (OMEMO 2, urn:xmpp:omemo:2) — https://xmpp.org/extensions/xep-0384.html
// OMEMO for one account on this device, plugged into chat as its EncryptionHook: every message is
// encrypted for all of the peer's usable devices and this account's other devices, in the newest
// version both sides publish; every incoming one is decrypted, or stored as undecryptable with a
// typed reason (never dropped). This file is the hook and the wiring; the jobs around it have their
// own files: legacy-hook.ts and ../omemo2/hook.ts (each version's encrypt and decrypt),
// device-directory.ts (the version and devices a message goes to, devices as a UI lists them),
// trust-actions.ts (the person's trust decisions), key-work.ts (key maintenance),
// session-repair.ts (key-transport answers and repairs, with their timers).
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
import type { Element } from '@xmpp/xml';
import { HushError } from '../errors.ts';
import type { XmppSession } from '../xmpp/session.ts';
import type { OmemoStore } from '../storage/types.ts';
import type { DecryptResult, EncryptionHook, ParsedChatMessage } from '../chat/types.ts';
import { bareJid } from '../util/jid.ts';
import { DEVICES_NODE } from '../omemo2/bundle.ts';
import { Omemo2Hook } from '../omemo2/hook.ts';
import { parseEncrypted2 } from '../omemo2/message.ts';
import { Omemo2Sessions } from '../omemo2/sessions.ts';
import { DEVICE_LIST_NODE } from './bundle.ts';
import { installNobleCrypto, resolveRandomBytes, type RandomBytes } from './crypto-provider.ts';
import { DeviceDirectory, type OmemoDeviceInfo } from './device-directory.ts';
import { DeviceLists } from './device-lists.ts';
import { asHushError, type OmemoEvent } from './events.ts';
import { DEFAULT_KEY_POLICY, ensureIdentity, type KeyPolicy } from './keys.ts';
import { KeyWork } from './key-work.ts';
import { LegacyHook } from './legacy-hook.ts';
import { parseEncrypted } from './message.ts';
import { onDeviceListUpdate, type OmemoVersion } from './pep.ts';
import { SessionRepair } from './session-repair.ts';
import { Sessions } from './sessions.ts';
import { SignalStore } from './signal-store.ts';
import { TrustActions } from './trust-actions.ts';
import { ruledStore, senderWarning } from './trust.ts';

export type { OmemoDeviceInfo } from './device-directory.ts';
export type { OmemoEvent } from './events.ts';

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
  /**
   * The versions this device publishes and writes (default both): without '2' it is an OMEMO 0.3
   * device only (for tests of 0.3 between two Hush devices, and as a way back should OMEMO 2 fail).
   */
  readonly versions?: readonly OmemoVersion[];
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
  readonly #seenWritten = new Map<string, number>();
  readonly #now: () => number;
  readonly #lists: DeviceLists;
  readonly #sessions: Sessions;
  readonly #directory: DeviceDirectory;
  readonly #trust: TrustActions;
  readonly #repair: SessionRepair;
  readonly #keys: KeyWork;
  readonly #sessions2: Omemo2Sessions;
  readonly #omemo2: Omemo2Hook;
  readonly #legacy: LegacyHook;
  readonly #listeners = new Set<(event: OmemoEvent) => void>();
  readonly #unsubscribe: (() => void)[] = [];
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
    const emit = (event: OmemoEvent) => this.#emit(event);
    const report = (error: unknown) => this.#report(error);
    const ownDeviceId = () => this.#deviceId;
    this.#signal = new SignalStore(this.#ruled, this.account, this.#now, (change) =>
      emit({ type: 'identity-changed', ...change }),
    );
    this.#lists = new DeviceLists({
      session: this.#session,
      store: this.#ruled,
      account: this.account,
      now: this.#now,
      maxAgeMs: options.deviceListMaxAgeMs ?? 10 * 60 * 1000,
      ownDeviceId,
      onChange: (jid) => emit({ type: 'devices', jid }),
      report,
      omemo2: options.versions?.includes('2') ?? true,
    });
    // What both versions' sessions need: the same stores, and the same answer to a failure.
    const sessionDeps = {
      session: this.#session,
      store: this.#ruled,
      signal: this.#signal,
      account: this.account,
      randomBytes: this.#randomBytes,
      onIdentityChanged: (target: { jid: string; deviceId: number }) =>
        emit({ type: 'identity-changed', ...target }),
      report: (error: unknown) => {
        // A bundle readable by contacts only: ask to see their presence (device-lists.ts).
        void this.#lists.noticeFailure(error).catch(() => undefined);
        report(error);
      },
    };
    this.#sessions = new Sessions(sessionDeps);
    this.#directory = new DeviceDirectory({
      store: this.#ruled,
      lists: this.#lists,
      sessions: this.#sessions,
      account: this.account,
      ownDeviceId,
      now: this.#now,
      staleDeviceMs: options.staleDeviceMs ?? 90 * DAY,
      report,
      learnOmemo2Identity: (target) => this.#sessions2.learnIdentity(target),
    });
    this.#trust = new TrustActions({
      store: this.#store,
      lists: this.#lists,
      directory: this.#directory,
      account: this.account,
      ownDeviceId,
      now: this.#now,
      emit,
    });
    this.#repair = new SessionRepair({
      session: this.#session,
      sessions: this.#sessions,
      account: this.account,
      ownDeviceId,
      targets: (jid) => this.#directory.targets(jid),
      omemo2: {
        keyTransport: (to, targets, id) => this.#omemo2.keyTransport(to, targets, id),
        rebuild: (target) => this.#sessions2.rebuild(target),
      },
      randomBytes: this.#randomBytes,
      now: this.#now,
      repairIntervalMs: options.repairIntervalMs ?? 60 * 60 * 1000,
      preKeyAckDelayMs: options.preKeyAckDelayMs ?? 2000,
      emit,
      report,
    });
    this.#sessions2 = new Omemo2Sessions(sessionDeps);
    this.#omemo2 = new Omemo2Hook({
      account: this.account,
      ownDeviceId,
      createdAt: () => this.#createdAt,
      sessions: this.#sessions2,
      signal: this.#signal,
      randomBytes: this.#randomBytes,
      now: this.#now,
      noticeMessage: (sender, sid, rids) => this.#lists.noticeMessage(sender, sid, rids),
      decrypted: (sender, sid, built, hold) => this.#decrypted(sender, sid, built, hold, '2'),
      scheduleRepair: (sender, sid) => this.#repair.schedule(sender, sid, '2'),
    });
    this.#legacy = new LegacyHook({
      account: this.account,
      ownDeviceId,
      createdAt: () => this.#createdAt,
      sessions: this.#sessions,
      signal: this.#signal,
      randomBytes: this.#randomBytes,
      noticeMessage: (sender, sid, rids) => this.#lists.noticeMessage(sender, sid, rids),
      decrypted: (sender, sid, built, hold) => this.#decrypted(sender, sid, built, hold, '0.3'),
      scheduleRepair: (sender, sid) => this.#repair.schedule(sender, sid, '0.3'),
    });
    this.#keys = new KeyWork({
      session: this.#session,
      store: this.#store,
      account: this.account,
      policy: { ...DEFAULT_KEY_POLICY, ...options.keyPolicy },
      now: this.#now,
      randomBytes: this.#randomBytes,
      omemo2: options.versions?.includes('2') ?? true,
    });
  }

  /** The PEP feature that makes the server push device-list changes (for XEP-0115 caps). */
  static readonly features: readonly string[] = [
    `${DEVICE_LIST_NODE}+notify`,
    `${DEVICES_NODE}+notify`,
  ];

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
    // The account's device lists are read while the keys are maintained (storage reads, and on a
    // first start the bundles' publish); the lists are recorded, and this device added to them,
    // only after that: a peer that sees a new device in a list finds its bundles.
    const keys = this.#keys.run(true);
    await Promise.all([keys, this.#lists.refresh(this.account, true, keys)]);
  }

  close(): void {
    for (const stop of this.#unsubscribe.splice(0)) stop();
    this.#repair.close();
  }

  async settle(commit: boolean): Promise<void> {
    await this.#signal.release(commit);
    if (this.#maintainOnSettle) {
      this.#maintainOnSettle = false;
      await this.#keys.run(false);
    }
  }

  /** Rotates the signed prekey when due and republishes; call now and then (e.g. on reconnect). */
  async maintain(): Promise<void> {
    await this.#keys.run(false);
  }

  // ---- EncryptionHook ----------------------------------------------------------------------

  async encrypt(message: { to: string; body: string; stanza: Element }): Promise<Element> {
    const peer = bareJid(message.to);
    const { version, targets } = await this.#directory.targets(peer);
    return version === '2'
      ? this.#omemo2.encrypt(message, peer, targets)
      : this.#legacy.encrypt(message, peer, targets);
  }

  async decrypt(
    message: ParsedChatMessage,
    options: { readonly hold?: boolean } = {},
  ): Promise<DecryptResult> {
    // A held decrypt the caller never settled is kept: nothing may wait for it for ever.
    await this.#signal.release(true);
    const encrypted2 = parseEncrypted2(message.element);
    if (encrypted2 === 'malformed') {
      return this.#undecryptable('The OMEMO 2 message is malformed (bad header or base64).');
    }
    if (encrypted2) {
      return this.#omemo2.decrypt(message, bareJid(message.from), encrypted2, !!options.hold);
    }
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
    if (encrypted === 'malformed') {
      return this.#undecryptable('The encrypted message is malformed (bad header, IV or base64).');
    }
    return this.#legacy.decrypt(message, bareJid(message.from), encrypted, !!options.hold);
  }

  // ---- Trust (trust-actions.ts; the rules are trust.ts's) ------------------------------------

  /** This device's fingerprint (64 hex digits). */
  async fingerprint(): Promise<string> {
    return this.#trust.fingerprint();
  }

  /** The `xmpp:` URI with this device's fingerprint, for a QR code others scan to verify it. */
  async verificationUri(): Promise<string> {
    return this.#trust.verificationUri();
  }

  /** The known devices of `jid` (after fetching its current list), or of this account. */
  async devices(jid: string = this.account, refresh = true): Promise<OmemoDeviceInfo[]> {
    return this.#directory.devices(jid, refresh);
  }

  /** Trusts the device of `jid` whose key has this fingerprint (manual trust, after a change too). */
  async trust(jid: string, fingerprint: string): Promise<OmemoDeviceInfo> {
    return this.#trust.setTrust(jid, fingerprint, 'blind');
  }

  /** Marks the device of `jid` with this fingerprint verified. */
  async verify(jid: string, fingerprint: string): Promise<OmemoDeviceInfo> {
    return this.#trust.setTrust(jid, fingerprint, 'verified');
  }

  /** Stops encrypting for the device of `jid` with this fingerprint. */
  async distrust(jid: string, fingerprint: string): Promise<OmemoDeviceInfo> {
    return this.#trust.setTrust(jid, fingerprint, 'distrusted');
  }

  /**
   * Verifies every device an `xmpp:…?omemo-sid-<id>=<fingerprint>` URI names (a scanned QR code).
   * A device whose known key differs from the URI's is not verified: that is a UntrustedIdentity
   * error, since either the code or the key is not what the person thinks.
   */
  async verifyUri(text: string): Promise<OmemoDeviceInfo[]> {
    return this.#trust.verifyUri(text);
  }

  /**
   * Sends an empty OMEMO message (key transport) to every usable device of `jid`: builds the
   * sessions, so the first real message is not a PreKey message, and repairs broken ones.
   */
  async sendKeyTransport(jid: string, only?: readonly number[]): Promise<void> {
    await this.#repair.sendKeyTransport(jid, only);
  }

  // ---- internals -----------------------------------------------------------------------------

  /**
   * After a message's key decrypted, in either version: the device was seen; a session built from a
   * one-time prekey refills the bundle and gets an answer. Returns the warning for a device that is
   * refused or undecided: what it says is shown, marked, never passed off as coming from a trusted
   * device.
   */
  async #decrypted(
    sender: string,
    deviceId: number,
    preKey: boolean,
    hold: boolean,
    version: OmemoVersion,
  ): Promise<HushError | undefined> {
    await this.#seen(sender, deviceId);
    if (preKey) {
      // The used one-time prekey goes once the message is stored (settle), and only then is the
      // bundle refilled: a held removal is not on disk yet.
      if (hold) this.#maintainOnSettle = true;
      else await this.#keys.run(false);
      this.#repair.answerPreKey(sender, deviceId, version);
    }
    const device = await this.#store.getDevice(this.account, sender, deviceId);
    return senderWarning(device, deviceId);
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

  #undecryptable(message: string): DecryptResult {
    return { encrypted: true, error: new HushError('Undecryptable', message) };
  }

  #report(error: unknown): void {
    this.#emit({ type: 'error', error: asHushError(error) });
  }

  #emit(event: OmemoEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
