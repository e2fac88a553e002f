// The soak run as a Markdown table, the details behind any non-zero count, and one JSON line.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { repoRoot } from '@hush/test-utils';
import type { SoakResult } from './run.ts';

export function machine(): string {
  return `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

/** The commit measured, and whether the working tree differed from it. */
export function tree(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${head}+changes` : head;
  } catch {
    return 'unknown';
  }
}

/** 1, 2, 3, 7, 9, 10 as '#1-#3, #7, #9-#10'. */
export function ranges(numbers: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < numbers.length;) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === (numbers[j] as number) + 1) j++;
    parts.push(i === j ? `#${numbers[i]}` : `#${numbers[i]}-#${numbers[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

const seconds = (value: number | null) => (value === null ? 'never' : `${value.toFixed(1)} s`);

export function table(result: SoakResult): string {
  const { options } = result;
  const lines = [
    `Soak: ${options.senders} senders x ${options.messages} messages (${options.senders * options.messages}), ` +
      `${result.cuts} proxy cuts, Prosody SIGKILL and restart (${result.restartSeconds.toFixed(2)} s), ` +
      `sent in ${result.sendSeconds.toFixed(1)} s, settled ${result.settled ? 'fully' : 'partly'} in ${result.settleSeconds.toFixed(1)} s`,
    '',
    '| client | type | arrived | lost | duplicated | out of order | undecryptable | restart to first live message | (from the cut senders) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const c of result.clients) {
    lines.push(
      `| ${c.name} | ${c.type} | ${c.arrived} | ${c.lost} | ${c.duplicated} | ${c.outOfOrder} | ${c.undecryptable} | ${seconds(c.firstLiveAfterRestart)} | ${seconds(c.firstLiveFromCutSenders)} |`,
    );
  }
  lines.push(
    '',
    `Left in senders' outboxes: ${result.outboxLeft}` +
      (result.outboxLeft
        ? ` (${result.outboxes.map((o) => o.entries).join(' / ')} per sender; ` +
          `${result.outboxes.reduce((s, o) => s + o.delivered, 0)} of them already delivered, ` +
          `${result.outboxes.reduce((s, o) => s + o.unencrypted, 0)} never encrypted)`
        : ''),
    `Senders' messages by state: ${JSON.stringify(result.senderStates)}`,
    `Outboxes empty after the cuts stopped, per sender: ${result.drainSeconds.map((s) => (s === null ? 'never' : `${s.toFixed(1)} s`)).join(', ')}`,
    `Core device after the restart: new stream after ${seconds(result.coreNewStream)}, its catch-up took ${seconds(result.coreCatchUp)}`,
  );
  if (Object.keys(result.senderErrors).length)
    lines.push(`Senders' errors: ${JSON.stringify(result.senderErrors)}`);
  if (result.catchUpKill) {
    const k = result.catchUpKill;
    lines.push(
      `CLI listener killed while catching up ${k.missed} messages: after ${k.linesBeforeKill} lines` +
        `${k.readyBeforeKill ? ' (after its catch-up had finished)' : ''}; ` +
        `started again, ready in ${seconds(k.secondsToReady)}` +
        (k.lastPrinted.length ? `; its last lines: ${k.lastPrinted.join(', ')}` : ''),
    );
  }
  for (const exit of result.cliExits.filter((e) => !e.killed)) {
    lines.push(
      `CLI listener exited by itself at ${exit.at.toFixed(1)} s (code ${exit.code}, signal ${exit.signal}): ${exit.stderr.split('\n').slice(-3).join(' | ')}`,
    );
  }
  const details: string[] = [];
  for (const c of result.clients) {
    c.perSender.forEach((s, sender) => {
      if (s.missing.length)
        details.push(`${c.name}, sender ${sender}: missing ${ranges(s.missing)}`);
      for (const line of s.disorder) details.push(`${c.name}, sender ${sender}: ${line}`);
      for (const [why, n] of Object.entries(s.undecryptableWhy))
        details.push(`${c.name}, sender ${sender}: ${n} undecryptable: ${why}`);
    });
  }
  result.outboxes.forEach((o, sender) => {
    if (o.entries) details.push(`outbox of sender ${sender}: ${ranges(o.seqs)}`);
  });
  if (result.traces.length)
    lines.push('', 'Where the lost ones were lost:', ...result.traces.map((t) => `- ${t}`));
  if (details.length) lines.push('', 'Details:', ...details.map((d) => `- ${d}`));
  if (result.notes.length) lines.push('', 'Notes:', ...result.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

const round = (value: number | null) => (value === null ? null : Number(value.toFixed(2)));

/** One line of JSON with the figures, for scripts and doc/benchmarks.md. */
export function jsonLine(result: SoakResult): string {
  return JSON.stringify({
    date: new Date().toISOString(),
    machine: machine(),
    tree: tree(),
    senders: result.options.senders,
    messages: result.options.messages,
    cuts: result.cuts,
    restartSeconds: Number(result.restartSeconds.toFixed(2)),
    sendSeconds: Number(result.sendSeconds.toFixed(1)),
    settled: result.settled,
    outboxLeft: result.outboxLeft,
    clients: result.clients.map((c) => ({
      name: c.name,
      type: c.type,
      lost: c.lost,
      duplicated: c.duplicated,
      outOfOrder: c.outOfOrder,
      undecryptable: c.undecryptable,
      firstLiveAfterRestart: round(c.firstLiveAfterRestart),
      firstLiveFromCutSenders: round(c.firstLiveFromCutSenders),
    })),
    catchUpKill: result.catchUpKill,
    cliExitsByItself: result.cliExits.filter((e) => !e.killed).length,
    uncaught: result.uncaught,
    drainSeconds: result.drainSeconds.map(round),
    coreNewStream: round(result.coreNewStream),
    coreCatchUp: round(result.coreCatchUp),
  });
}
