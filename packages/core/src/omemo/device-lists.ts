// XEP-0384 OMEMO Encryption (legacy 0.3) — https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
// RFC 6121 presence subscriptions (§3) — https://www.rfc-editor.org/rfc/rfc6121#section-3
// Who has which OMEMO devices: device lists read from PEP (fetched, or pushed to clients whose caps
// say devicelist+notify) become device records in the store. Both versions' lists are read (OMEMO 0.3
// and OMEMO 2 name a device by the same id); a device either lists is active, the others not, and
// which version lists it is kept (versions()) for the choice of version per contact; a new device gets blind trust unless the person already verified a device of that contact
// (blind trust before verification). This account's own list always names this device.
//
// Lists go stale where the server does not push them, and Prosody pushes a contact's changes only
// to accounts subscribed to their presence. So:
// - a message from a device that is not in the sender's known list, or encrypted for a device
//   nobody's known list names, makes the sender's list (and this account's) be fetched again
//   (at most once per noticeIntervalMs and account, so forged messages cannot make a flood of
//   requests); a send waits for a fetch under way;
// - when such a message shows a contact's list changed unseen and the roster says we do not see
//   their presence, we ask to (a roster contact only: a stranger's first message asks nothing);
// - a contact whose nodes are readable by presence subscribers only (a client that published
//   without access_model=open; Prosody answers `forbidden`, as it also does when the node does not
//   exist) is asked for a presence subscription, once a run, and fetched again as soon as they
//   accept; meanwhile reading fails with an OmemoPepError that says so (subscriptionRequested).
import xml, { type Element } from '@xmpp/xml';
import type { XmppSession } from '../xmpp/session.ts';
import type { OmemoStore } from '../storage/types.ts';
import {
  OmemoPepError,
  fetchDeviceList,
  labelsOf,
  publishDeviceList,
  type DeviceLabel,
  type DeviceListUpdate,
  type OmemoVersion,
} from './pep.ts';
import {
  fetchDeviceList as fetchDeviceList2,
  publishDeviceList as publishDeviceList2,
} from '../omemo2/pep.ts';
import { bareJid } from '../util/jid.ts';

const NS_ROSTER = 'jabber:iq:roster';

export interface DeviceListsDeps {
  readonly session: XmppSession;
  readonly store: OmemoStore;
  /** Bare JID of the account. */
  readonly account: string;
  readonly now: () => number;
  /** A list fetched longer ago than this is fetched again before it is used. */
  readonly maxAgeMs: number;
  /** At most one fetch per account in this interval because of what a message showed (default 1 min). */
  readonly noticeIntervalMs?: number;
  /** This device's id (0 before the identity is known). */
  readonly ownDeviceId: () => number;
  readonly onChange: (jid: string) => void;
  /** A fetch started in the background failed. */
  readonly report?: (error: unknown) => void;
  /** Whether OMEMO 2 lists are read and this device is named in one (default true). */
  readonly omemo2?: boolean;
}

/** Reading `jid`'s device list or bundle was refused; a presence subscription was asked for. */
export class OmemoKeysForContactsOnly extends OmemoPepError {
  constructor(jid: string, cause: unknown) {
    super(
      'Forbidden',
      'NotAllowed',
      `${jid} shows their OMEMO keys to contacts only: a contact request was sent, and the keys ` +
        'are fetched again once they accept.',
      { cause, jid },
    );
    this.name = 'OmemoKeysForContactsOnly';
  }
}

export class DeviceLists {
  readonly #deps: DeviceListsDeps;
  readonly #fetchedAt = new Map<string, number>();
  /** Fetches under way, by account: a send waits for one started by a message. */
  readonly #fetching = new Map<string, Promise<void>>();
  readonly #noticedAt = new Map<string, number>();
  /** Accounts asked for a presence subscription in this run. */
  readonly #asked = new Set<string>();
  /** Each account's last known list per version (absent: never read). */
  readonly #lists = new Map<string, Partial<Record<OmemoVersion, ReadonlySet<number>>>>();
  /** Labels of this account's OMEMO 2 devices, kept when the list is written again. */
  #ownLabels: ReadonlyMap<number, DeviceLabel> = new Map();

  constructor(deps: DeviceListsDeps) {
    this.#deps = deps;
  }

  /**
   * Listens for presence subscriptions being approved: the contact's list (and with it their
   * bundles) may be readable now. Returns the function that stops listening.
   */
  listen(): () => void {
    return this.#deps.session.onStanza((stanza) => {
      if (!stanza.is('presence') || stanza.attrs.type !== 'subscribed' || !stanza.attrs.from)
        return;
      const jid = bareJid(stanza.attrs.from);
      if (jid === this.#deps.account) return;
      this.#background(this.refresh(jid, true));
    });
  }

  /**
   * Fetches `jid`'s list unless a fresh one is known (or `force`), and records it; waits for a
   * fetch already under way. A refused read becomes OmemoKeysForContactsOnly after asking for a
   * presence subscription. With `recordAfter`, the lists are read at once but recorded (and this
   * device added to its account's lists) only once it settles: a start reads its own lists while
   * its keys are maintained, and names a new device only after its bundles are out.
   */
  async refresh(jid: string, force = false, recordAfter?: Promise<unknown>): Promise<void> {
    const owner = bareJid(jid);
    const running = this.#fetching.get(owner);
    if (running) {
      await running;
      if (!force) return;
    }
    const fetchedAt = this.#fetchedAt.get(owner);
    if (!force && fetchedAt !== undefined && this.#deps.now() - fetchedAt < this.#deps.maxAgeMs) {
      return;
    }
    const fetch = this.#fetch(owner, recordAfter);
    this.#fetching.set(owner, fetch);
    try {
      await fetch;
    } finally {
      if (this.#fetching.get(owner) === fetch) this.#fetching.delete(owner);
    }
  }

  async #fetch(owner: string, recordAfter?: Promise<unknown>): Promise<void> {
    const [legacy, omemo2] = await Promise.allSettled([
      fetchDeviceList(this.#deps.session, owner),
      this.#deps.omemo2 === false
        ? Promise.resolve([])
        : fetchDeviceList2(this.#deps.session, owner),
    ]);
    await recordAfter;
    // An account may publish one version only; only both failing (or 0.3 failing with no OMEMO 2
    // device to fall back on) fails the read.
    if (legacy.status === 'rejected' && (omemo2.status === 'rejected' || !omemo2.value.length)) {
      const error: unknown = legacy.reason;
      throw (await this.noticeFailure(error).catch(() => undefined)) ?? error;
    }
    const updates: DeviceListUpdate[] = [];
    if (legacy.status === 'fulfilled') updates.push({ jid: owner, deviceIds: legacy.value });
    else this.#deps.report?.(legacy.reason);
    if (omemo2.status === 'fulfilled' && this.#deps.omemo2 !== false) {
      const devices = omemo2.value;
      updates.push({
        jid: owner,
        deviceIds: devices.map((device) => device.id),
        version: '2',
        labels: labelsOf(devices),
      });
    }
    await this.#record(owner, updates);
  }

  /** What `owner`'s lists of each version name, as last read (empty when never read). */
  versions(owner: string): Record<OmemoVersion, ReadonlySet<number>> {
    const lists = this.#lists.get(bareJid(owner));
    return { '0.3': lists?.['0.3'] ?? new Set(), '2': lists?.['2'] ?? new Set() };
  }

  /**
   * Looks at a failed read of someone's PEP nodes (device list or bundle): when it was refused, asks
   * for their presence once and returns the error to show instead (undefined otherwise).
   */
  async noticeFailure(error: unknown): Promise<OmemoKeysForContactsOnly | undefined> {
    if (error instanceof OmemoKeysForContactsOnly) return error;
    if (!(error instanceof OmemoPepError) || error.reason !== 'Forbidden' || !error.jid) {
      return undefined;
    }
    const jid = error.jid;
    if (jid === this.#deps.account) return undefined;
    // Already subscribed and still refused: the node is closed to us for another reason (roster
    // groups, a whitelist), and asking again would change nothing.
    if (!this.#asked.has(jid) && !(await this.#askForPresence(jid, ['to', 'both']))) {
      return undefined;
    }
    return new OmemoKeysForContactsOnly(jid, error);
  }

  /**
   * Looks at an incoming OMEMO message before it is decrypted: a sender device or a recipient
   * device that no known list names means a list changed without a push reaching us, so the
   * sender's list (and this account's, for an unknown recipient) is fetched again in the background;
   * a send to them waits for it. Never throws: what fails is reported.
   */
  async noticeMessage(
    sender: string,
    senderDevice: number,
    recipients: readonly number[],
  ): Promise<void> {
    try {
      const { account } = this.#deps;
      const jid = bareJid(sender);
      const ownId = this.#deps.ownDeviceId();
      const senderDevices = await this.#activeDevices(jid);
      const ownDevices = jid === account ? senderDevices : await this.#activeDevices(account);
      ownDevices.add(ownId);
      const unknownSender = !senderDevices.has(senderDevice);
      // What this account's other devices send (carbons, the archive) is also encrypted for the
      // peer's devices, which are not known here: only its sender device says something then.
      const unknownRecipient =
        jid !== account &&
        recipients.some((rid) => !senderDevices.has(rid) && !ownDevices.has(rid));
      if (unknownSender || unknownRecipient) this.#refetch(jid, senderDevices);
      if (unknownRecipient) this.#refetch(account, ownDevices);
    } catch (error) {
      this.#deps.report?.(error);
    }
  }

  /**
   * Fetches `owner`'s list again unless that was done lately. A contact's list that changed unseen
   * means their pushes do not reach us: ask to see their presence.
   */
  #refetch(owner: string, before: ReadonlySet<number>): void {
    const now = this.#deps.now();
    const noticed = this.#noticedAt.get(owner);
    if (noticed !== undefined && now - noticed < (this.#deps.noticeIntervalMs ?? 60_000)) return;
    this.#noticedAt.set(owner, now);
    this.#background(
      (async () => {
        await this.refresh(owner, true);
        if (owner === this.#deps.account) return;
        const after = await this.#activeDevices(owner);
        if ([...after].some((deviceId) => !before.has(deviceId))) {
          await this.#askForPresence(owner, ['to', 'both'], true);
        }
      })(),
    );
  }

  async #activeDevices(owner: string): Promise<Set<number>> {
    const devices = await this.#deps.store.listDevices(this.#deps.account, owner);
    return new Set(devices.filter((device) => device.active).map((device) => device.deviceId));
  }

  /** Records a device list (fetched or pushed), of either version. */
  async apply(update: DeviceListUpdate): Promise<void> {
    if (update.version === '2' && this.#deps.omemo2 === false) return;
    await this.#record(update.jid.toLowerCase(), [update]);
  }

  async #record(owner: string, updates: readonly DeviceListUpdate[]): Promise<void> {
    const { store, account } = this.#deps;
    const ownId = this.#deps.ownDeviceId();
    const now = this.#deps.now();
    this.#fetchedAt.set(owner, now);
    const lists = { ...this.#lists.get(owner) };
    for (const update of updates) {
      lists[update.version ?? '0.3'] = new Set(update.deviceIds);
      if (owner === account && update.version === '2') this.#ownLabels = update.labels ?? new Map();
    }
    this.#lists.set(owner, lists);
    const known = await store.listDevices(account, owner);
    const listed = new Set([...(lists['0.3'] ?? []), ...(lists['2'] ?? [])]);
    if (owner === account) listed.delete(ownId);
    const anyVerified = known.some((device) => device.trust === 'verified');
    for (const device of known) {
      const active = listed.has(device.deviceId);
      if (device.active !== active) await store.putDevice(account, { ...device, active });
      listed.delete(device.deviceId);
    }
    for (const deviceId of listed) {
      await store.putDevice(account, {
        jid: owner,
        deviceId,
        trust: anyVerified ? 'untrusted' : 'blind',
        active: true,
        firstSeen: now,
        lastSeen: now,
      });
    }
    for (const update of owner === account && ownId ? updates : []) {
      if (update.deviceIds.includes(ownId)) continue;
      // A new device, or another client rewrote the list without it: without its id in the list,
      // nobody encrypts for it.
      const ids = [...update.deviceIds, ownId];
      if (update.version === '2') {
        const labels = this.#ownLabels;
        await publishDeviceList2(
          this.#deps.session,
          ids.map((id) => {
            const label = labels.get(id);
            return label ? { id, ...label } : { id };
          }),
        );
        this.#lists.set(owner, { ...this.#lists.get(owner), '2': new Set(ids) });
      } else {
        await publishDeviceList(this.#deps.session, ids);
        this.#lists.set(owner, { ...this.#lists.get(owner), '0.3': new Set(ids) });
      }
    }
    this.#deps.onChange(owner);
  }

  /**
   * Sends a presence subscription request to `jid` unless the roster shows one of `enough` already
   * or a request waiting (RFC 6121 §3.1). With `contactsOnly`, only to someone in the roster.
   * Returns whether a request is (now) out.
   */
  async #askForPresence(
    jid: string,
    enough: readonly string[],
    contactsOnly = false,
  ): Promise<boolean> {
    if (this.#asked.has(jid)) return true;
    const item = await this.#rosterItem(jid);
    if (item === null) return false;
    if (item && enough.includes(item.attrs.subscription ?? 'none')) return false;
    if (!item && contactsOnly) return false;
    this.#asked.add(jid);
    if (item?.attrs.ask === 'subscribe') return true;
    await this.#deps.session.send(xml('presence', { type: 'subscribe', to: jid }));
    return true;
  }

  /** The roster item for `jid`: undefined when there is none, null when the roster is unreadable. */
  async #rosterItem(jid: string): Promise<Element | undefined | null> {
    try {
      const roster = await this.#deps.session.request(
        xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })),
      );
      return roster
        .getChild('query', NS_ROSTER)
        ?.getChildren('item')
        .find((item) => item.attrs.jid?.toLowerCase() === jid);
    } catch {
      return null;
    }
  }

  #background(work: Promise<unknown>): void {
    void work.catch((error: unknown) => this.#deps.report?.(error));
  }
}
