// Files in S3 mode against local mode, side by side in one run: a 10 MiB upload (slot and PUT) and
// its download through the client's own uploadFile/downloadFile, on a throwaway Prosody with local
// storage (mod_http_file_share) and one with UPLOAD_STORAGE=s3 (mod_http_upload_external, Hush's
// upload service, and the tests' local S3 server: s3rver behind a front that checks Signature V4
// and keeps a PUT until it is whole, so the S3 figures include that extra hop and copy). Also the
// upload service's peak memory, which shows that it streams.
// `node bench/s3.ts` prints a whole table; bench/run.ts appends the rows to its own table.
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { downloadFile, openSession, uploadFile, type XmppSession } from '@hush/core';
import { startProsody, trustCertificateAuthority, type ProsodyServer } from '@hush/test-utils';
import { printRows } from './stats.ts';

const SIZE = 10 * 1024 * 1024;
const ROUNDS = 5;
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await run();
  return [value, performance.now() - start];
}

/** Peak resident memory (VmHWM) of a process, in MiB. */
async function peakMiB(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : NaN;
}

export async function measureS3(): Promise<[string, string][]> {
  const settings = { UPLOAD_LIMIT: String(SIZE), UPLOAD_DAILY_QUOTA: String(100 * SIZE) };
  const servers: ProsodyServer[] = [];
  const sessions: XmppSession[] = [];
  try {
    const local = await startProsody({ settings });
    servers.push(local);
    const s3 = await startProsody({ upload: 's3', settings });
    servers.push(s3);
    const before = await peakMiB(s3.uploads?.pid);
    for (const server of servers) {
      trustCertificateAuthority(server.caCert);
      await server.createAccount('bench', 'bench-password');
      sessions.push(
        await openSession({
          service: server.websocketUrl,
          jid: 'bench@localhost',
          password: 'bench-password',
        }),
      );
    }
    const body = new Uint8Array(randomBytes(SIZE));
    const times = sessions.map(() => ({ up: [] as number[], down: [] as number[] }));
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating, so that the machine's load falls on both alike.
      for (const [i, session] of sessions.entries()) {
        const [result, up] = await timed(() =>
          uploadFile(session, { bytes: body, filename: 'encrypted' }, { retries: 0 }),
        );
        const [file, down] = await timed(() => downloadFile(result.url, { maxBytes: SIZE }));
        if (file.bytes.length !== SIZE) throw new Error('the download differs from the upload');
        times[i]?.up.push(up);
        times[i]?.down.push(down);
      }
    }
    const after = await peakMiB(s3.uploads?.pid);
    const [disk, bucket] = times.map((t) => ({ up: median(t.up), down: median(t.down) })) as [
      { up: number; down: number },
      { up: number; down: number },
    ];
    return [
      [
        `10 MiB upload (slot and PUT), local storage, median of ${ROUNDS}`,
        `${disk.up.toFixed(0)} ms`,
      ],
      [`10 MiB upload (slot and PUT), S3 mode, median of ${ROUNDS}`, `${bucket.up.toFixed(0)} ms`],
      [`10 MiB download, local storage, median of ${ROUNDS}`, `${disk.down.toFixed(0)} ms`],
      [`10 MiB download, S3 mode, median of ${ROUNDS}`, `${bucket.down.toFixed(0)} ms`],
      [
        'S3 mode against local storage (upload, download)',
        `${(bucket.up / disk.up).toFixed(1)}x, ${(bucket.down / disk.down).toFixed(1)}x`,
      ],
      [
        `upload service peak memory, at start and after ${ROUNDS * 2} transfers of 10 MiB`,
        `${before.toFixed(0)} MiB, ${after.toFixed(0)} MiB`,
      ],
    ];
  } finally {
    await Promise.all(sessions.map((session) => session.close()));
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** Prints the rows as lines of run.ts's Markdown table. */
export async function printS3Rows(): Promise<void> {
  printRows(await measureS3());
}

if (process.argv[1] === import.meta.filename) {
  console.log(
    `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  );
  console.log(`Date: ${new Date().toISOString().slice(0, 10)}\n`);
  console.log('| measurement | result |\n| --- | --- |');
  await printS3Rows();
}
