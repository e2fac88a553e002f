// The person's own trust decisions: trust, verify or distrust a device by fingerprint, or verify the
// devices a scanned QR code names. These are the only writes that bypass trust.ts's ruledStore (they
// are the decisions its rules defer to); every automatic write goes through it.
import { HushError, OmemoDeviceError } from '../errors.ts';
import type { OmemoStore, OmemoTrust } from '../storage/types.ts';
import { bareJid } from '../util/jid.ts';
import { normalizePublicKey } from './bundle.ts';
import { equalBytes } from './bytes.ts';
import type { DeviceDirectory, OmemoDeviceInfo } from './device-directory.ts';
import type { DeviceLists } from './device-lists.ts';
import type { EmitOmemoEvent } from './events.ts';
import {
  fingerprintOf,
  formatVerificationUri,
  normalizeFingerprint,
  parseVerificationUri,
} from './trust.ts';

export interface TrustActionsOptions {
  /** The plain store: the person's decisions are not subject to the automatic rules. */
  readonly store: OmemoStore;
  readonly lists: DeviceLists;
  readonly directory: DeviceDirectory;
  readonly account: string;
  readonly ownDeviceId: () => number;
  readonly now: () => number;
  readonly emit: EmitOmemoEvent;
}

export class TrustActions {
  readonly #options: TrustActionsOptions;

  constructor(options: TrustActionsOptions) {
    this.#options = options;
  }

  /** This device's fingerprint (64 hex digits). */
  async fingerprint(): Promise<string> {
    const identity = await this.#options.store.getIdentity(this.#options.account);
    if (!identity) throw new HushError('ProtocolError', 'OMEMO has not started.');
    return fingerprintOf(identity.publicKey);
  }

  /** The `xmpp:` URI with this device's fingerprint, for a QR code others scan to verify it. */
  async verificationUri(): Promise<string> {
    return formatVerificationUri({
      jid: this.#options.account,
      devices: [{ deviceId: this.#options.ownDeviceId(), fingerprint: await this.fingerprint() }],
    });
  }

  /** Sets the trust of the device of `jid` whose key has this fingerprint. */
  async setTrust(jid: string, fingerprint: string, trust: OmemoTrust): Promise<OmemoDeviceInfo> {
    const { store, lists, directory, account, emit } = this.#options;
    const owner = bareJid(jid);
    const wanted = normalizeFingerprint(fingerprint);
    if (!wanted) throw new HushError('ProtocolError', `'${fingerprint}' is not a fingerprint.`);
    await lists.refresh(owner, true).catch(() => undefined);
    const devices = await store.listDevices(account, owner);
    const device = devices.find((d) => d.identityKey && fingerprintOf(d.identityKey) === wanted);
    if (!device) {
      throw new OmemoDeviceError(
        'NoOmemoDevice',
        `No known device of ${owner} has that fingerprint.`,
        { jid: owner, fingerprint: wanted },
      );
    }
    await store.putDevice(account, { ...device, trust });
    emit({ type: 'devices', jid: owner });
    const info = (await directory.devices(owner, false)).find(
      (d) => d.deviceId === device.deviceId,
    );
    if (!info) throw new HushError('ProtocolError', 'The device vanished.');
    return info;
  }

  /**
   * Verifies every device an `xmpp:…?omemo-sid-<id>=<fingerprint>` URI names (a scanned QR code).
   * A device whose known key differs from the URI's is not verified: that is a UntrustedIdentity
   * error, since either the code or the key is not what the person thinks.
   */
  async verifyUri(text: string): Promise<OmemoDeviceInfo[]> {
    const { store, lists, directory, account, now, emit } = this.#options;
    const uri = parseVerificationUri(text);
    if (!uri || uri.devices.length === 0) {
      throw new HushError('ProtocolError', 'This is not an OMEMO verification code.');
    }
    await lists.refresh(uri.jid, true).catch(() => undefined);
    const verified: OmemoDeviceInfo[] = [];
    for (const { deviceId, fingerprint } of uri.devices) {
      const known = await store.getDevice(account, uri.jid, deviceId);
      const key = normalizePublicKey(hexToBytes(fingerprint));
      if (!key) continue;
      if (known?.identityKey && !equalBytes(known.identityKey, key)) {
        throw new OmemoDeviceError(
          'UntrustedIdentity',
          `Device ${deviceId} of ${uri.jid} has a different key than this code shows.`,
          { jid: uri.jid, deviceId, fingerprint },
        );
      }
      const time = now();
      await store.putDevice(account, {
        jid: uri.jid,
        deviceId,
        identityKey: key,
        trust: 'verified',
        active: known?.active ?? false,
        firstSeen: known?.firstSeen ?? time,
        lastSeen: known?.lastSeen ?? time,
      });
      verified.push(
        ...(await directory.devices(uri.jid, false)).filter((d) => d.deviceId === deviceId),
      );
    }
    emit({ type: 'devices', jid: uri.jid });
    return verified;
  }
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
