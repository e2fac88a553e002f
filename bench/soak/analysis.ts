// What a receiver's stored history says about delivery: for each sender, the messages it wrote
// (numbered 0..M-1 in send order) against what the history holds, in the order the history reads.

/** The body of message `seq` of sender `sender`; parseBody reads it back. */
export function soakBody(sender: number, seq: number): string {
  return `soak ${sender} ${seq}`;
}

export function parseBody(body: string): { sender: number; seq: number } | undefined {
  const match = /^soak (\d+) (\d+)$/.exec(body);
  return match ? { sender: Number(match[1]), seq: Number(match[2]) } : undefined;
}

/** One stored message as every client type can report it. */
export interface HistoryEntry {
  readonly body: string;
  readonly timestamp: number;
  readonly state: string;
  /** Why it failed or could not be decrypted. */
  readonly failure?: { readonly code: string; readonly message: string };
}

export interface SenderCounts {
  readonly lost: number;
  readonly duplicated: number;
  readonly outOfOrder: number;
  /** Stored but unreadable (state 'undecryptable'): they count as lost too. */
  readonly undecryptable: number;
  /** Why they could not be decrypted, with how often. */
  readonly undecryptableWhy: Record<string, number>;
  /** The numbers missing. */
  readonly missing: number[];
  /** The first messages stored out of send order, with their neighbours. */
  readonly disorder: string[];
}

/**
 * The longest strictly increasing subsequence of `values`, by patience sorting. Everything outside
 * it is what has to move for the list to read in order: the out-of-order count.
 */
function longestIncreasing(values: readonly number[]): Set<number> {
  const tails: number[] = []; // index into values of the smallest tail of each length
  const previous: number[] = new Array<number>(values.length).fill(-1);
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((values[tails[middle] as number] as number) < value) low = middle + 1;
      else high = middle;
    }
    if (low > 0) previous[i] = tails[low - 1] as number;
    tails[low] = i;
  }
  const kept = new Set<number>();
  for (let i = tails.at(-1) ?? -1; i >= 0; i = previous[i] as number) kept.add(i);
  return kept;
}

function clock(timestamp: number): string {
  return new Date(timestamp).toISOString().slice(11, 23);
}

/** Counts for one sender's messages (0..count-1) in one receiver's history. */
export function analyseSender(
  history: readonly HistoryEntry[],
  sender: number,
  count: number,
  writtenAt: readonly number[] = [],
): SenderCounts {
  const entries = history
    .map((entry) => ({ entry, parsed: parseBody(entry.body) }))
    .filter(({ parsed }) => parsed?.sender === sender && parsed.seq < count);
  const unreadable = history.filter((entry) => entry.state === 'undecryptable');
  const undecryptableWhy: Record<string, number> = {};
  for (const { failure } of unreadable) {
    const why = failure ? `${failure.code}: ${failure.message}` : 'no reason stored';
    undecryptableWhy[why] = (undecryptableWhy[why] ?? 0) + 1;
  }
  const seen = new Set<number>();
  const firsts: { seq: number; entry: HistoryEntry }[] = [];
  let duplicated = 0;
  for (const { entry, parsed } of entries) {
    const seq = (parsed as { seq: number }).seq;
    if (seen.has(seq)) {
      duplicated++;
      continue;
    }
    seen.add(seq);
    firsts.push({ seq, entry });
  }
  const missing: number[] = [];
  for (let seq = 0; seq < count; seq++) if (!seen.has(seq)) missing.push(seq);
  const inOrder = longestIncreasing(firsts.map(({ seq }) => seq));
  const disorder: string[] = [];
  firsts.forEach(({ seq, entry }, index) => {
    if (inOrder.has(index) || disorder.length >= 5) return;
    const before = firsts[index - 1];
    const after = firsts[index + 1];
    const written = (n: number) =>
      writtenAt[n] === undefined ? '' : `written ${clock(writtenAt[n] as number)}, `;
    const near = (other: typeof before) =>
      other ? `#${other.seq} (${written(other.seq)}stamped ${clock(other.entry.timestamp)})` : '-';
    disorder.push(
      `#${seq} (${written(seq)}stamped ${clock(entry.timestamp)}) stored between ${near(before)} and ${near(after)}`,
    );
  });
  return {
    lost: missing.length,
    duplicated,
    outOfOrder: firsts.length - inOrder.size,
    undecryptable: unreadable.length,
    undecryptableWhy,
    missing,
    disorder,
  };
}

export interface ClientCounts {
  readonly lost: number;
  readonly duplicated: number;
  readonly outOfOrder: number;
  readonly undecryptable: number;
  readonly perSender: readonly SenderCounts[];
}

/**
 * Counts over all senders for one receiver client; `histories[i]` is its history with sender i and
 * `writtenAt[i][seq]` (epoch ms) when sender i wrote message seq.
 */
export function analyseClient(
  histories: readonly HistoryEntry[][],
  count: number,
  writtenAt: readonly (readonly number[])[] = [],
): ClientCounts {
  const perSender = histories.map((history, sender) =>
    analyseSender(history, sender, count, writtenAt[sender]),
  );
  const sum = (pick: (counts: SenderCounts) => number) =>
    perSender.reduce((total, counts) => total + pick(counts), 0);
  return {
    lost: sum((c) => c.lost),
    duplicated: sum((c) => c.duplicated),
    outOfOrder: sum((c) => c.outOfOrder),
    undecryptable: sum((c) => c.undecryptable),
    perSender,
  };
}

/**
 * Seconds from `since` to the first live message on a device: of the messages written after `since`
 * (all senders, in the order they were written), those after the last one that never arrived, and
 * of these the one that arrived first. A message fetched by the device's catch-up on reconnecting
 * counts only if every message written after it arrived too, so a device that catches up once and
 * then receives nothing live gets null ("never"). Times are performance.now() values.
 */
export function firstLiveAfter(
  arrivals: ReadonlyMap<string, number>,
  writtenAt: readonly (readonly number[])[],
  since: number,
): number | null {
  const written = writtenAt
    .flatMap((times, sender) => times.map((at, seq) => ({ at, body: soakBody(sender, seq) })))
    .filter(({ at }) => at >= since)
    .sort((a, b) => a.at - b.at);
  let first: number | null = null;
  for (let i = written.length - 1; i >= 0; i--) {
    const arrived = arrivals.get((written[i] as { body: string }).body);
    if (arrived === undefined) break;
    if (first === null || arrived < first) first = arrived;
  }
  return first === null ? null : (first - since) / 1000;
}
