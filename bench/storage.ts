// Storage: what the CLI's SQLite file (@hush/storage-node: node:sqlite under core's SQL storage)
// costs per operation, beside the same SQL run straight on node:sqlite. Every add is its own
// transaction in WAL mode with synchronous FULL, as the CLI runs it; the in-memory rows take the
// disk away and leave what the code itself costs.
// `node bench/storage.ts` prints a whole table; bench/run.ts appends the rows to its own table.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Storage, StoredMessage } from '@hush/core';
import { migrations } from '@hush/core/storage/sql-schema';
import { openSqliteStorage } from '@hush/storage-node';
import { printHeader, printRows } from './stats.ts';

const MESSAGES = 10_000;
const PEERS = 10;
const PAGE = 50;
const ACCOUNT = 'bench@localhost';
const UPLOAD_BYTES = 10 * 1024 * 1024 + 16;

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function medianOf(rounds: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) times.push(await time(fn));
  return median(times);
}

const peerOf = (i: number): string => `peer${i % PEERS}@localhost`;

function benchMessage(i: number): StoredMessage {
  return {
    id: `m${i}`,
    account: ACCOUNT,
    peer: peerOf(i),
    direction: i % 2 === 0 ? 'in' : 'out',
    body: `message number ${i}, about as long as a short chat line`,
    // Pairs share a timestamp, as delay stamps of one-second resolution do.
    timestamp: 1_700_000_000_000 + Math.floor(i / 2) * 1000,
    originId: `origin-${i}`,
    state: i % 2 === 0 ? 'received' : 'sent',
    encrypted: true,
  };
}

async function addAll(storage: Storage): Promise<number> {
  return time(async () => {
    for (let i = 0; i < MESSAGES; i++) await storage.messages.add(benchMessage(i));
  });
}

/** The same inserts straight on node:sqlite: prepared statements, one transaction each, no lookups. */
function rawInserts(path: string): number {
  const db = new DatabaseSync(path);
  try {
    db.exec('PRAGMA journal_mode = WAL');
    for (const sql of migrations) db.exec(sql);
    const insert = db.prepare(
      `INSERT INTO messages (id, account, peer, direction, body, timestamp, origin_id, stanza_id,
         state, failure_code, failure_message, encrypted)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL, NULL, 1)`,
    );
    const start = performance.now();
    for (let i = 0; i < MESSAGES; i++) {
      const m = benchMessage(i);
      db.exec('BEGIN IMMEDIATE');
      insert.run(
        m.id,
        m.account,
        m.peer,
        m.direction,
        m.body,
        m.timestamp,
        m.originId ?? null,
        m.state,
      );
      db.exec('COMMIT');
    }
    return performance.now() - start;
  } finally {
    db.close();
  }
}

/**
 * Pages `write` adds to the WAL of `file`: another connection empties the WAL first and counts its
 * frames after (a frame is one 4 KiB page).
 */
async function walPages(file: string, write: () => Promise<unknown>): Promise<number> {
  const probe = new DatabaseSync(file);
  try {
    probe.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    await write();
    const frames = probe.prepare('PRAGMA wal_checkpoint(PASSIVE)').get()?.log;
    return typeof frames === 'number' ? frames : NaN;
  } finally {
    probe.close();
  }
}

const perMessage = (ms: number): string =>
  `${ms.toFixed(0)} ms (${((ms * 1000) / MESSAGES).toFixed(0)} µs/msg)`;

export async function measureStorage(): Promise<[string, string][]> {
  const rows: [string, string][] = [];
  const dir = mkdtempSync(join(tmpdir(), 'hush-bench-storage-'));
  try {
    const file = join(dir, 'hush.db');
    const storage = await openSqliteStorage(file);
    try {
      const fileAdds = await addAll(storage);
      const raw = rawInserts(join(dir, 'raw.db'));
      rows.push([
        `${MESSAGES} messages.add one at a time, SQLite file (WAL, synchronous FULL)`,
        perMessage(fileAdds),
      ]);
      rows.push([
        `${MESSAGES} bare INSERTs one transaction each, same file settings, node:sqlite direct`,
        perMessage(raw),
      ]);

      const peer = peerOf(0);
      const newest = await medianOf(1000, () =>
        storage.messages.history(ACCOUNT, peer, { limit: PAGE }),
      );
      rows.push([
        `history: newest page of ${PAGE} of a ${MESSAGES / PEERS}-message conversation, median of 1000`,
        `${(newest * 1000).toFixed(0)} µs`,
      ]);
      const pages = await medianOf(5, async () => {
        let page = await storage.messages.history(ACCOUNT, peer, { limit: PAGE });
        while (page.length > 0) {
          const oldest = page[0];
          if (!oldest) break;
          page = await storage.messages.history(ACCOUNT, peer, {
            limit: PAGE,
            beforeId: oldest.id,
          });
        }
      });
      rows.push([
        `history: the whole ${MESSAGES / PEERS}-message conversation in pages of ${PAGE} (beforeId), median of 5`,
        `${pages.toFixed(1)} ms`,
      ]);
      const conversations = await medianOf(50, () => storage.messages.conversations(ACCOUNT));
      rows.push([
        `conversations() over ${MESSAGES} messages with ${PEERS} peers, median of 50`,
        `${conversations.toFixed(2)} ms`,
      ]);

      const ciphertext = new Uint8Array(UPLOAD_BYTES).map((_, i) => i * 31);
      const upload = {
        id: 'u',
        account: ACCOUNT,
        peer,
        ciphertext,
        key: new Uint8Array(32),
        iv: new Uint8Array(12),
        createdAt: 1,
        attempts: 0,
      };
      const put = await medianOf(5, () => storage.uploads.put(upload));
      rows.push([
        'pending upload of 10 MiB: put (keep the ciphertext), median of 5',
        `${put.toFixed(1)} ms`,
      ]);
      let attempts = 0;
      const rewrite = await medianOf(5, () =>
        storage.uploads.put({ ...upload, attempts: ++attempts }),
      );
      const update = await medianOf(5, () =>
        storage.uploads.update(ACCOUNT, upload.id, { attempts: ++attempts }),
      );
      rows.push([
        'pending upload of 10 MiB: count a failed attempt, put the whole upload again (the old way) vs update, median of 5',
        `${rewrite.toFixed(1)} ms vs ${update.toFixed(1)} ms`,
      ]);
      // What reaches the disk: a row that keeps its size, and one that grows by the URL.
      const counted = { ...upload, attempts: ++attempts };
      const putPages = await walPages(file, () => storage.uploads.put(counted));
      const updatePages = await walPages(file, () =>
        storage.uploads.update(ACCOUNT, upload.id, { attempts: ++attempts }),
      );
      rows.push([
        'pending upload of 10 MiB: pages written to the WAL to count an attempt (same row size), put vs update',
        `${putPages} vs ${updatePages}`,
      ]);
      const url = 'https://upload.localhost/0123456789abcdef/encrypted';
      const putUrlPages = await walPages(file, () => storage.uploads.put({ ...counted, url }));
      await storage.uploads.put(upload);
      const updateUrlPages = await walPages(file, () =>
        storage.uploads.update(ACCOUNT, upload.id, { url }),
      );
      rows.push([
        'pending upload of 10 MiB: pages written to the WAL when the URL arrives (the row grows), put vs update',
        `${putUrlPages} vs ${updateUrlPages}`,
      ]);
    } finally {
      await storage.close();
    }

    const memory = await openSqliteStorage(':memory:');
    try {
      rows.push([
        `${MESSAGES} messages.add one at a time, in-memory SQLite (no disk)`,
        perMessage(await addAll(memory)),
      ]);
    } finally {
      await memory.close();
    }
    rows.push([
      `${MESSAGES} bare INSERTs one transaction each, in-memory SQLite, node:sqlite direct`,
      perMessage(rawInserts(':memory:')),
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export async function printStorageRows(): Promise<void> {
  printRows(await measureStorage());
}

if (process.argv[1] === import.meta.filename) {
  printHeader();
  await printStorageRows();
}
