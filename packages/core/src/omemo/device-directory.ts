// Which devices a message goes to, in which OMEMO version, and the devices a UI lists. Lists come
// from device-lists.ts; what may be encrypted for is trust.ts's rule (mayEncryptFor), applied here to
// every send. Fail closed: no device, no trusted device or no reachable device is an error, never
// plain text.
// The version, per contact: OMEMO 2 when the contact publishes an OMEMO 2 list that names every
// device its 0.3 list names, and this account's lists are alike (so no device of either account
// loses the message: an own 0.3-only client would not read the copy of what was sent), else OMEMO
// 0.3; this device publishes both. A message in one version goes to the devices (theirs and this account's other
// ones) that version's lists name.
import { OmemoDeviceError } from '../errors.ts';
import type { OmemoDevice, OmemoStore, OmemoTrust } from '../storage/types.ts';
import { bareJid } from '../util/jid.ts';
import type { DeviceLists } from './device-lists.ts';
import type { OmemoVersion } from './pep.ts';
import { errorText } from './events.ts';
import type { Sessions, Target } from './sessions.ts';
import { fingerprintOf, mayEncryptFor } from './trust.ts';

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

export interface DeviceDirectoryOptions {
  readonly store: OmemoStore;
  readonly lists: DeviceLists;
  readonly sessions: Sessions;
  readonly account: string;
  readonly ownDeviceId: () => number;
  readonly now: () => number;
  /** Devices with no message for this long get no keys. */
  readonly staleDeviceMs: number;
  readonly report: (error: unknown) => void;
  /** Records the identity key of a device only an OMEMO 2 list names (from its OMEMO 2 bundle). */
  readonly learnOmemo2Identity: (target: Target) => Promise<void>;
}

export class DeviceDirectory {
  readonly #options: DeviceDirectoryOptions;

  constructor(options: DeviceDirectoryOptions) {
    this.#options = options;
  }

  /** The version `peer` is written to, from the lists last read (see the header). */
  version(peer: string): OmemoVersion {
    const { lists, account } = this.#options;
    const coversAll = (jid: string) => {
      const known = lists.versions(jid);
      return [...known['0.3']].every((id) => known['2'].has(id));
    };
    return lists.versions(peer)['2'].size > 0 && coversAll(peer) && coversAll(account)
      ? '2'
      : '0.3';
  }

  /**
   * The version a message to `peer` goes in and the devices it is encrypted for; throws the reason
   * when the peer has none.
   */
  async targets(peer: string): Promise<{ version: OmemoVersion; targets: Target[] }> {
    const { store, lists, account, now, staleDeviceMs, report } = this.#options;
    try {
      await lists.refresh(peer);
    } catch (error) {
      throw new OmemoDeviceError(
        'NoOmemoDevice',
        `No OMEMO devices of ${peer}: ${errorText(error)}`,
        { jid: peer },
        { cause: error },
      );
    }
    await lists.refresh(account).catch(report);
    const time = now();
    const version = this.version(peer);
    const peerListed = lists.versions(peer)[version];
    const ownListed = lists.versions(account)[version];
    const usable = (device: OmemoDevice) => mayEncryptFor(device, time, staleDeviceMs);
    const peerDevices = (await store.listDevices(account, peer)).filter(
      (d) => d.active && peerListed.has(d.deviceId),
    );
    if (peerDevices.length === 0) {
      throw new OmemoDeviceError(
        'NoOmemoDevice',
        `${peer} has no OMEMO device: the message cannot be sent encrypted.`,
        { jid: peer },
      );
    }
    const peerTargets = peerDevices.filter(usable);
    if (peerTargets.length === 0) {
      if (peerDevices.some((device) => device.trust === 'untrusted')) {
        throw new OmemoDeviceError(
          'UntrustedIdentity',
          `The keys of ${peer} changed or are new: check and trust them before sending.`,
          { jid: peer },
        );
      }
      throw new OmemoDeviceError('NoTrustedDevice', `None of the devices of ${peer} is trusted.`, {
        jid: peer,
      });
    }
    const own =
      peer === account
        ? []
        : (await store.listDevices(account, account)).filter(
            (d) => usable(d) && ownListed.has(d.deviceId),
          );
    return {
      version,
      targets: [...peerTargets, ...own].map(({ jid, deviceId }) => ({ jid, deviceId })),
    };
  }

  /** The known devices of `jid` (after fetching its current list when `refresh`). */
  async devices(jid: string, refresh: boolean): Promise<OmemoDeviceInfo[]> {
    const { store, lists, sessions, account, ownDeviceId, now, staleDeviceMs } = this.#options;
    const owner = bareJid(jid);
    if (refresh) {
      await lists.refresh(owner, true).catch(() => undefined);
      // A device known only from the list has no fingerprint to show yet: its bundle (and with it
      // a session, as the first message would build) gives one. A device whose bundle is missing
      // or whose key changed keeps showing what is known.
      const unknown = (await store.listDevices(account, owner)).filter(
        (device) =>
          !device.identityKey &&
          device.active &&
          !(owner === account && device.deviceId === ownDeviceId()),
      );
      const legacy = lists.versions(owner)['0.3'];
      await Promise.all(
        unknown.map((device) => {
          const target = { jid: owner, deviceId: device.deviceId };
          const learnt = legacy.has(device.deviceId)
            ? sessions.build(target)
            : this.#options.learnOmemo2Identity(target);
          return learnt.catch(() => undefined);
        }),
      );
    }
    const time = now();
    const devices = await store.listDevices(account, owner);
    const list: OmemoDeviceInfo[] = devices.map((device) => ({
      jid: device.jid,
      deviceId: device.deviceId,
      ...(device.identityKey ? { fingerprint: fingerprintOf(device.identityKey) } : {}),
      trust: device.trust,
      active: device.active,
      stale: time - device.lastSeen > staleDeviceMs,
      current: false,
      lastSeen: device.lastSeen,
    }));
    if (owner === account) {
      const identity = await store.getIdentity(account);
      if (identity) {
        list.unshift({
          jid: owner,
          deviceId: identity.deviceId,
          fingerprint: fingerprintOf(identity.publicKey),
          trust: 'verified',
          active: true,
          stale: false,
          current: true,
          lastSeen: time,
        });
      }
    }
    return list;
  }
}
