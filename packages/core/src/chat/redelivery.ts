// Messages sent that never reached the peer. The server's ack (XEP-0198) says its node has the
// message; in a cluster, the node routes it on to the node where the peer's session lives, and
// archives it there, in that session. A message routed to a node that has just died (before the
// cluster drops its sessions) is neither delivered nor archived, and its sender holds the ack; the
// peer's receipt for what did arrive can die with that node too, and a node busy with the loss of
// another can leave acks unanswered for long. Only the peer's receipt (XEP-0184) proves delivery, so
// this device sends such a message once more, with the same id (receivers deduplicate by origin-id
// and confirm a copy they already hold again), when
// - a receipt (or displayed marker) comes for a later message to the same peer: the earlier ones
//   without a receipt fell through (or their receipts are behind, and the copy is dropped), or
// - a peer that confirmed a message lately has confirmed none of those sent `afterMs` ago.
// Each message is sent again at most once, and only what this device sent.
// A peer that never sends receipts never triggers either: nothing is sent again to it.

export interface RedeliveryOptions {
  /** Sends the message with this id to `peer` again (it was sent, not confirmed). */
  readonly resend: (peer: string, id: string) => void;
  /** How long a receipt may take before a sent message counts as lost. */
  readonly afterMs?: number;
  /** A peer counts as confirming messages for this long after its last receipt. */
  readonly recentMs?: number;
  readonly now?: () => number;
}

/** The messages sent to one peer, in send order, with the time each was first sent. */
type Sent = Map<string, number>;

export class Redelivery {
  private readonly sent = new Map<string, Sent>();
  /** Each peer's last receipt or marker. */
  private readonly confirmedAt = new Map<string, number>();
  /** Sent again once already: never twice. */
  private readonly resent = new Set<string>();
  /** Confirmed before their ack came (a receipt can overtake it). */
  private readonly confirmed = new Set<string>();
  private readonly afterMs: number;
  private readonly recentMs: number;
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | undefined;

  private readonly options: RedeliveryOptions;

  constructor(options: RedeliveryOptions) {
    this.options = options;
    this.afterMs = options.afterMs ?? 15_000;
    this.recentMs = options.recentMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The message `id` went to `peer` (sent, or acked by the server: the first counts). */
  noteSent(peer: string, id: string): void {
    if (this.resent.has(id) || this.confirmed.delete(id)) return;
    let list = this.sent.get(peer);
    if (!list) this.sent.set(peer, (list = new Map()));
    if (list.has(id)) return;
    list.set(id, this.now());
    // Bounded: a peer that stopped confirming does not grow this without end.
    if (list.size > 500) list.delete(list.keys().next().value as string);
    this.timer ??= setInterval(() => this.check(), Math.max(50, this.afterMs / 2));
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** The peer confirmed `id` (a receipt or displayed marker): earlier unconfirmed ones go again. */
  noteConfirmed(peer: string, id: string): void {
    this.confirmedAt.set(peer, this.now());
    const list = this.sent.get(peer);
    if (!list?.has(id)) {
      this.confirmed.add(id);
      if (this.confirmed.size > 500)
        this.confirmed.delete(this.confirmed.values().next().value as string);
      return;
    }
    const earlier: string[] = [];
    for (const key of list.keys()) {
      if (key === id) break;
      earlier.push(key);
    }
    list.delete(id);
    for (const key of earlier) this.again(peer, key);
  }

  /** Messages past `afterMs` to peers that confirmed something lately go again. */
  check(): void {
    const now = this.now();
    for (const [peer, list] of this.sent) {
      const recent = now - (this.confirmedAt.get(peer) ?? -Infinity) <= this.recentMs;
      for (const [id, at] of list) {
        if (now - at < this.afterMs) break;
        // To a peer not heard from lately, only a later receipt sends it again (kept until then,
        // for a while).
        if (recent) this.again(peer, id);
        else if (now - at > this.recentMs) list.delete(id);
      }
      if (list.size === 0) this.sent.delete(peer);
    }
    if (this.sent.size === 0) this.stop();
  }

  /** The message could not go now (no stream): it waits its turn again. */
  putBack(peer: string, id: string): void {
    this.resent.delete(id);
    this.noteSent(peer, id);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private again(peer: string, id: string): void {
    this.sent.get(peer)?.delete(id);
    if (this.resent.has(id)) return;
    this.resent.add(id);
    if (this.resent.size > 5000) this.resent.delete(this.resent.values().next().value as string);
    this.options.resend(peer, id);
  }
}
