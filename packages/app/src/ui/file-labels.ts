// What is known about the files in messages beyond their link, for their labels in the chat list
// and in bubbles ("Voice message 0:12", "Photo", "notes.txt"). A file's link names no file (uploads
// are called "encrypted"). First comes the description kept with the message in storage
// (StoredMessage.file: what the sender said, XEP-0447 over OMEMO 2; message-kind.ts describeBody
// reads it). For files without one (from OMEMO 0.3 contacts and other clients), and for what only
// the bytes tell (a waveform), this fills in: the sender keeps the name and type of what they
// picked, a receiver what the Messenger's `file` said, and anyone who has the file (sent, or
// received and kept, client/kept-files.ts) reads its type and length from its bytes. What is learnt
// is kept on this device beside the kept files, under the file's https:// address, and never sent
// anywhere.
import { useEffect, useSyncExternalStore } from 'react';
import { decryptFileAsync, inspectFile, parseAesgcmUrl, type MessengerEvent } from '@hush/core';
import type { KeptFiles } from '../platform/types';
import type { FileFacts } from './message-kind';

const known = new Map<string, FileFacts>();
const looking = new Set<string>();
const listeners = new Set<() => void>();
let version = 0;

function addressOf(link: string): string {
  try {
    return parseAesgcmUrl(link).url;
  } catch {
    return link.split('#')[0] ?? link;
  }
}

const factsKey = (address: string) => `hush-file-facts:${address}`;

function emit(): void {
  version += 1;
  for (const listener of listeners) listener();
}

function merge(address: string, facts: FileFacts): FileFacts {
  const before = known.get(address) ?? {};
  // What the sender kept (the name) stays; what the bytes tell fills in the rest.
  const merged: FileFacts = {
    ...((facts.name ?? before.name) ? { name: before.name ?? facts.name } : {}),
    ...((facts.mimeType ?? before.mimeType) ? { mimeType: facts.mimeType ?? before.mimeType } : {}),
    ...((facts.durationMs ?? before.durationMs)
      ? { durationMs: facts.durationMs ?? before.durationMs }
      : {}),
    ...((facts.waveform ?? before.waveform) ? { waveform: facts.waveform ?? before.waveform } : {}),
  };
  known.set(address, merged);
  emit();
  return merged;
}

/** Records what is known about the file behind `link`, here and on the device. */
export async function rememberFile(kept: KeptFiles, link: string, facts: FileFacts): Promise<void> {
  const address = addressOf(link);
  const merged = merge(address, facts);
  const bytes = new TextEncoder().encode(JSON.stringify(merged));
  await kept.write(factsKey(address), bytes).catch(() => undefined);
}

/**
 * Keeps the name, type and length the sender described for every file message that arrives with a
 * description; returns the unsubscribe.
 */
export function rememberDescribedFiles(
  messenger: { subscribe(listener: (event: MessengerEvent) => void): () => void },
  kept: KeptFiles,
): () => void {
  return messenger.subscribe((event) => {
    if (event.type !== 'message' || !event.file) return;
    const { name, mediaType, durationMs } = event.file;
    void rememberFile(kept, event.message.body.trim(), {
      name,
      mimeType: mediaType,
      ...(durationMs !== undefined ? { durationMs } : {}),
    });
  });
}

/** Waits before looking again for a copy that was not kept yet (client/kept-files.ts FileKeeper). */
const RETRY_MS = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000];

/** What is learnt about `link`; true once done, false while this device has no copy yet. */
async function learn(kept: KeptFiles, link: string): Promise<boolean> {
  const address = addressOf(link);
  const stored = await kept.read(factsKey(address)).catch(() => undefined);
  if (stored) {
    try {
      const facts = JSON.parse(new TextDecoder().decode(stored)) as FileFacts;
      merge(address, facts);
      if (facts.mimeType) return true;
    } catch {
      // unreadable: read the file itself below
    }
  }
  // Only a copy this device already has: the chat list does not download files.
  if (!/^aesgcm:/i.test(link)) return true;
  const local = await kept.read(address).catch(() => undefined);
  if (!local) return false;
  const { key, iv } = parseAesgcmUrl(link);
  const info = inspectFile(await decryptFileAsync(local, key, iv));
  await rememberFile(kept, link, {
    mimeType: info.audio?.mimeType ?? info.mimeType,
    ...(info.audio ? { durationMs: info.audio.durationMs } : {}),
  });
  return true;
}

/** Learns about `link`, looking again a few times while the file is still on its way here. */
function lookUp(kept: KeptFiles, link: string, attempt = 0): void {
  void learn(kept, link).then(
    (done) => {
      const wait = RETRY_MS[attempt];
      if (!done && wait !== undefined) setTimeout(() => lookUp(kept, link, attempt + 1), wait);
    },
    () => undefined,
  );
}

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

/** What is known about the file behind `link` (undefined for none), looked up on first use. */
export function useFileFacts(link: string | undefined, kept: KeptFiles): FileFacts | undefined {
  useSyncExternalStore(subscribe, () => version);
  useEffect(() => {
    if (!link) return;
    const address = addressOf(link);
    if (looking.has(address) || known.get(address)?.mimeType) return;
    looking.add(address);
    lookUp(kept, link);
  }, [link, kept]);
  return link ? known.get(addressOf(link)) : undefined;
}
