// XEP-0384 OMEMO Encryption (legacy 0.3) — https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
// Who has which OMEMO devices: device lists read from PEP (fetched, or pushed to clients whose caps
// say devicelist+notify) become device records in the store. Listed devices are active, the others
// not; a new device gets blind trust unless the person already verified a device of that contact
// (blind trust before verification). This account's own list always names this device.
import type { XmppSession } from '../xmpp/session.ts';
import type { OmemoStore } from '../storage/types.ts';
import { fetchDeviceList, publishDeviceList, type DeviceListUpdate } from './pep.ts';

export interface DeviceListsDeps {
  readonly session: XmppSession;
  readonly store: OmemoStore;
  /** Bare JID of the account. */
  readonly account: string;
  readonly now: () => number;
  /** A list fetched longer ago than this is fetched again before it is used. */
  readonly maxAgeMs: number;
  /** This device's id (0 before the identity is known). */
  readonly ownDeviceId: () => number;
  readonly onChange: (jid: string) => void;
}

export class DeviceLists {
  readonly #deps: DeviceListsDeps;
  readonly #fetchedAt = new Map<string, number>();

  constructor(deps: DeviceListsDeps) {
    this.#deps = deps;
  }

  /** Fetches `jid`'s list unless a fresh one is known (or `force`), and records it. */
  async refresh(jid: string, force = false): Promise<void> {
    const fetchedAt = this.#fetchedAt.get(jid);
    if (!force && fetchedAt !== undefined && this.#deps.now() - fetchedAt < this.#deps.maxAgeMs) {
      return;
    }
    await this.apply({ jid, deviceIds: await fetchDeviceList(this.#deps.session, jid) });
  }

  /** Records a device list (fetched or pushed). */
  async apply(update: DeviceListUpdate): Promise<void> {
    const { store, account } = this.#deps;
    const owner = update.jid.toLowerCase();
    const ownId = this.#deps.ownDeviceId();
    const now = this.#deps.now();
    this.#fetchedAt.set(owner, now);
    const known = await store.listDevices(account, owner);
    const listed = new Set(update.deviceIds);
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
    if (owner === account && ownId && !update.deviceIds.includes(ownId)) {
      // A new device, or another client rewrote the list without it: without its id in the list,
      // nobody encrypts for it.
      await publishDeviceList(this.#deps.session, [...update.deviceIds, ownId]);
    }
    this.#deps.onChange(owner);
  }
}
