// Which message state changes are allowed: one rule for every storage backend, so memory and SQLite
// agree. States only move forward because acks, receipts and markers arrive late, twice and out of
// order (a receipt can overtake the stream-management ack; MAM replays old markers).
import type { MessageDirection, MessageFailure, MessageState } from './types.ts';

const outgoingRank: Partial<Record<MessageState, number>> = {
  pending: 0,
  sent: 1,
  delivered: 2,
  read: 3,
};

const incomingStates: readonly MessageState[] = ['received', 'undecryptable', 'read'];
const outgoingStates: readonly MessageState[] = ['pending', 'sent', 'delivered', 'read', 'failed'];

/** The states a message of this direction can be in. */
export function statesFor(direction: MessageDirection): readonly MessageState[] {
  return direction === 'in' ? incomingStates : outgoingStates;
}

/**
 * Whether a message of `direction` may move from `from` to `to`. Outgoing: forward along
 * pending → sent → delivered → read; pending or sent may fail (delivered or read proves it arrived);
 * failed may go back to pending (retry) or forward (a late ack or receipt shows it went through after
 * all). Incoming: received or undecryptable → read. Staying in the same state is not a change.
 */
export function canTransition(
  direction: MessageDirection,
  from: MessageState,
  to: MessageState,
): boolean {
  if (from === to || !statesFor(direction).includes(to)) return false;
  if (direction === 'in') return to === 'read';
  if (to === 'failed') return from === 'pending' || from === 'sent';
  if (from === 'failed') return true;
  const fromRank = outgoingRank[from];
  const toRank = outgoingRank[to];
  return fromRank !== undefined && toRank !== undefined && toRank > fromRank;
}

/**
 * The failure a message keeps after moving from `from` with `given` as the new failure, if any: a
 * given failure replaces the old one; leaving 'failed' clears it (the retry is a fresh attempt); an
 * undecryptable message keeps its failure when read, so it still shows why it cannot be shown.
 */
export function failureAfter(
  from: MessageState,
  current: MessageFailure | undefined,
  given: MessageFailure | undefined,
): MessageFailure | undefined {
  if (given !== undefined) return { code: given.code, message: given.message };
  return from === 'failed' ? undefined : current;
}
