// Empty key-transport messages and the timers that send them: the answer to a PreKey message (so the
// sender's session is complete and it stops sending PreKey messages even if this person never writes
// back), and the repair of a session a message did not decrypt in (a new session from the sender's
// bundle, at most once per device per interval). Each in the version the device wrote in: OMEMO 0.3
// here, OMEMO 2 through the omemo2 half of the hook.
import xml, { type Element } from '@xmpp/xml';
import type { XmppSession } from '../xmpp/session.ts';
import type { RandomBytes } from '../util/random.ts';
import { bareJid } from '../util/jid.ts';
import type { EmitOmemoEvent } from './events.ts';
import { NS_HINTS, buildEncrypted, keyTransportMaterial } from './message.ts';
import type { OmemoVersion } from './pep.ts';
import type { Sessions, Target } from './sessions.ts';

/** What OMEMO 2 lends to key transport and repair (omemo2/hook.ts, omemo2/sessions.ts). */
export interface Omemo2Transport {
  keyTransport(to: string, targets: readonly Target[], id: string): Promise<Element | null>;
  /** A new session from the device's bundle, stored: the next message builds on it. */
  rebuild(target: Target): Promise<void>;
}

export interface SessionRepairOptions {
  readonly session: XmppSession;
  readonly sessions: Sessions;
  readonly account: string;
  readonly ownDeviceId: () => number;
  /** The version and devices a message to `jid` goes to (device-directory.ts). */
  readonly targets: (jid: string) => Promise<{ version: OmemoVersion; targets: Target[] }>;
  readonly omemo2: Omemo2Transport;
  readonly randomBytes: RandomBytes;
  readonly now: () => number;
  readonly repairIntervalMs: number;
  readonly preKeyAckDelayMs: number;
  readonly emit: EmitOmemoEvent;
  readonly report: (error: unknown) => void;
}

export class SessionRepair {
  readonly #options: SessionRepairOptions;
  readonly #lastRepair = new Map<string, number>();
  readonly #pendingAcks = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(options: SessionRepairOptions) {
    this.#options = options;
  }

  close(): void {
    for (const timer of this.#pendingAcks.values()) clearTimeout(timer);
    this.#pendingAcks.clear();
  }

  /**
   * Sends an empty OMEMO message to every usable device of `jid` (or only those named), in the
   * version chosen for `jid`; with `version`, only if that is the one.
   */
  async sendKeyTransport(
    jid: string,
    only?: readonly number[],
    version?: OmemoVersion,
  ): Promise<void> {
    const owner = bareJid(jid);
    const chosen = await this.#options.targets(owner);
    if (version && chosen.version !== version) return;
    let { targets } = chosen;
    if (only) targets = targets.filter((t) => t.jid === owner && only.includes(t.deviceId));
    await this.#send(chosen.version, owner, targets, `kt-${Date.now().toString(36)}`);
  }

  /** One key-transport answer per device after a PreKey message (or a burst of them). */
  answerPreKey(jid: string, deviceId: number, version: OmemoVersion = '0.3'): void {
    const { account, ownDeviceId, preKeyAckDelayMs } = this.#options;
    if (jid === account && deviceId === ownDeviceId()) return;
    const key = `${jid}/${deviceId}`;
    if (this.#pendingAcks.has(key)) return;
    const timer = setTimeout(() => {
      this.#pendingAcks.delete(key);
      // Best effort: without it the peer only keeps sending PreKey messages until a reply.
      void this.sendKeyTransport(jid, [deviceId], version).catch(() => undefined);
    }, preKeyAckDelayMs);
    (timer as { unref?: () => void }).unref?.();
    this.#pendingAcks.set(key, timer);
  }

  /** A message from this device did not decrypt: a new session, at most once an interval. */
  schedule(jid: string, deviceId: number, version: OmemoVersion = '0.3'): void {
    const { sessions, now, repairIntervalMs, emit, report } = this.#options;
    const key = `${version}/${jid}/${deviceId}`;
    const last = this.#lastRepair.get(key);
    const time = now();
    if (last !== undefined && time - last < repairIntervalMs) return;
    this.#lastRepair.set(key, time);
    void (async () => {
      // The old session is archived, not deleted: messages already on their way in it still decrypt
      // (libsignal tries archived sessions too) while the peer switches to the new one.
      if (version === '2') await this.#options.omemo2.rebuild({ jid, deviceId });
      else await sessions.build({ jid, deviceId });
      if (await this.#send(version, jid, [{ jid, deviceId }], `repair-${time.toString(36)}`)) {
        emit({ type: 'repair', jid, deviceId });
      }
    })().catch(report);
  }

  /** Sends a key-transport message to `targets`; false when no session could carry a key. */
  async #send(
    version: OmemoVersion,
    to: string,
    targets: readonly Target[],
    id: string,
  ): Promise<boolean> {
    const { session, sessions, ownDeviceId, randomBytes } = this.#options;
    if (version === '2') {
      const stanza = await this.#options.omemo2.keyTransport(to, targets, id);
      if (stanza) await session.send(stanza);
      return stanza !== null;
    }
    const { iv, keyMaterial } = keyTransportMaterial(randomBytes);
    const keys = await sessions.encryptKey(targets, keyMaterial);
    if (keys.length === 0) return false;
    await session.send(
      xml(
        'message',
        { to, type: 'chat', id },
        buildEncrypted({ sid: ownDeviceId(), keys, iv }),
        xml('store', { xmlns: NS_HINTS }),
      ),
    );
    return true;
  }
}
