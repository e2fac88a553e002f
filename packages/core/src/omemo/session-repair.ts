// Empty key-transport messages and the timers that send them: the answer to a PreKey message (so the
// sender's session is complete and it stops sending PreKey messages even if this person never writes
// back), and the repair of a session a message did not decrypt in (a new session from the sender's
// bundle, at most once per device per interval).
import xml from '@xmpp/xml';
import type { XmppSession } from '../xmpp/session.ts';
import type { RandomBytes } from '../util/random.ts';
import { bareJid } from '../util/jid.ts';
import type { EmitOmemoEvent } from './events.ts';
import { NS_HINTS, buildEncrypted, keyTransportMaterial } from './message.ts';
import type { Sessions, Target } from './sessions.ts';

export interface SessionRepairOptions {
  readonly session: XmppSession;
  readonly sessions: Sessions;
  readonly account: string;
  readonly ownDeviceId: () => number;
  /** The devices a message to `jid` goes to (device-directory.ts). */
  readonly targets: (jid: string) => Promise<Target[]>;
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

  /** Sends an empty OMEMO message to every usable device of `jid` (or only those named). */
  async sendKeyTransport(jid: string, only?: readonly number[]): Promise<void> {
    const owner = bareJid(jid);
    let targets = await this.#options.targets(owner);
    if (only) targets = targets.filter((t) => t.jid === owner && only.includes(t.deviceId));
    await this.#send(owner, targets, `kt-${Date.now().toString(36)}`);
  }

  /** One key-transport answer per device after a PreKey message (or a burst of them). */
  answerPreKey(jid: string, deviceId: number): void {
    const { account, ownDeviceId, preKeyAckDelayMs } = this.#options;
    if (jid === account && deviceId === ownDeviceId()) return;
    const key = `${jid}/${deviceId}`;
    if (this.#pendingAcks.has(key)) return;
    const timer = setTimeout(() => {
      this.#pendingAcks.delete(key);
      // Best effort: without it the peer only keeps sending PreKey messages until a reply.
      void this.sendKeyTransport(jid, [deviceId]).catch(() => undefined);
    }, preKeyAckDelayMs);
    (timer as { unref?: () => void }).unref?.();
    this.#pendingAcks.set(key, timer);
  }

  /** A message from this device did not decrypt: a new session, at most once an interval. */
  schedule(jid: string, deviceId: number): void {
    const { sessions, now, repairIntervalMs, emit, report } = this.#options;
    const key = `${jid}/${deviceId}`;
    const last = this.#lastRepair.get(key);
    const time = now();
    if (last !== undefined && time - last < repairIntervalMs) return;
    this.#lastRepair.set(key, time);
    void (async () => {
      // The old session is archived, not deleted: messages already on their way in it still decrypt
      // (libsignal tries archived sessions too) while the peer switches to the new one.
      await sessions.build({ jid, deviceId });
      if (await this.#send(jid, [{ jid, deviceId }], `repair-${time.toString(36)}`)) {
        emit({ type: 'repair', jid, deviceId });
      }
    })().catch(report);
  }

  /** Sends a key-transport message to `targets`; false when no session could carry a key. */
  async #send(to: string, targets: readonly Target[], id: string): Promise<boolean> {
    const { session, sessions, ownDeviceId, randomBytes } = this.#options;
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
