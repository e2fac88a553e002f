// Files in messages, kept on this device. The first time a file is fetched (when its message arrives,
// or when it is shown) the ciphertext the server holds is kept locally; from then on it is read from
// here, and the server's copy may expire (7 days) without the message going dead. Only a file with no
// local copy whose server copy is gone shows as expired. The local copy is the ciphertext, checked
// with the key from the message (AES-GCM's tag) every time it is read: a damaged copy is fetched
// again, and what is kept cannot be read without this device's history.
import {
  AESGCM_TAG_BYTES,
  DEFAULT_MAX_DOWNLOAD_BYTES,
  decryptFileAsync,
  downloadFile,
  isHushError,
  parseAesgcmUrl,
  type FetchFunction,
} from '@hush/core';
import type { KeptFiles } from '../platform/types.ts';

export interface KeptFileOptions {
  readonly fetch?: FetchFunction;
}

/**
 * The decrypted bytes of an aesgcm:// link: from the local copy when there is one, else fetched,
 * checked and kept. Rejects with core's typed errors: LinkExpired (no local copy and the server's is
 * gone), DownloadFailed, IntegrityError, UnsupportedContent (not an aesgcm:// link).
 */
export async function keptFile(
  link: string,
  kept: KeptFiles,
  options: KeptFileOptions = {},
): Promise<Uint8Array> {
  const { url, key, iv } = parseAesgcmUrl(link);
  const local = await kept.read(url).catch(() => undefined);
  if (local) {
    try {
      return await decryptFileAsync(local, key, iv);
    } catch (error) {
      // A damaged local copy: the server's may still be good.
      if (!isHushError(error, 'IntegrityError')) throw error;
    }
  }
  const { bytes: ciphertext } = await downloadFile(url, {
    maxBytes: DEFAULT_MAX_DOWNLOAD_BYTES + AESGCM_TAG_BYTES,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const plain = await decryptFileAsync(ciphertext, key, iv);
  // Kept only once it decrypted: never a wrong or truncated file. A full disk does not stop the
  // file from playing now; it is fetched again next time.
  await kept.write(url, ciphertext).catch(() => undefined);
  return plain;
}

/**
 * Keeps the files of messages as they arrive, one at a time, each link once: what this device
 * received stays playable even if nobody opens the conversation before the server's copy expires.
 */
export class FileKeeper {
  private readonly kept: KeptFiles;
  private readonly options: KeptFileOptions;
  private readonly seen = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(kept: KeptFiles, options: KeptFileOptions = {}) {
    this.kept = kept;
    this.options = options;
  }

  /** Queues `body` if it is an aesgcm:// link; resolves once it is kept (or could not be). */
  keep(body: string): Promise<void> {
    const link = body.trim();
    if (!/^aesgcm:\/\/\S+$/i.test(link) || this.seen.has(link)) return this.queue;
    this.seen.add(link);
    this.queue = this.queue.then(async () => {
      try {
        await keptFile(link, this.kept, this.options);
      } catch {
        // Not fetched now (offline, expired, damaged): showing the message tries again and says why.
        this.seen.delete(link);
      }
    });
    return this.queue;
  }
}
