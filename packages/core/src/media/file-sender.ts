// XEP-0454 OMEMO Media Sharing — https://xmpp.org/extensions/xep-0454.html
// Sending a file or a voice message: encrypt it here (AES-256-GCM, a fresh key and IV), keep the
// ciphertext in storage (PendingUpload) before any byte leaves the device, upload it (XEP-0363),
// then hand the `aesgcm://` link to the Messenger, which encrypts it with OMEMO like any text and
// keeps it in its outbox until the server has it. A cut connection or a restart never loses the
// file: resume() finishes whatever is pending. The server sees only ciphertext under a neutral name
// and type. What the file is (its name, type, size, SHA-256 and, for voice, length) travels as an
// XEP-0447/0448 <file-sharing/> beside the link (file-sharing.ts), only where the encryption carries
// it (OMEMO 2's envelope); OMEMO 0.3 contacts get the link alone, and learn the type from the bytes.
// The description is kept with the pending upload and then with the message, on this device only,
// so a file resumed after a restart goes with it, and the sender's history names the file.
import { HushError, isHushError } from '../errors.ts';
import type { XmppSession } from '../xmpp/session.ts';
import type { Messenger } from '../chat/messenger.ts';
import type { FileDescription, PendingUpload, Storage, StoredMessage } from '../storage/types.ts';
import type { RandomBytes } from '../omemo/crypto-provider.ts';
import { AESGCM_TAG_BYTES, encryptFileAsync, formatAesgcmUrl } from './aesgcm.ts';
import { safeFileName, sha256Of } from './file-sharing.ts';
import { discoverUploadService, fileTooLarge } from './slot.ts';
import { uploadFile } from './upload.ts';
import type { FetchFunction, ProgressListener } from './types.ts';

/** Failures that no retry can fix: the pending upload is dropped and the error reported. */
const PERMANENT = new Set(['FileTooLarge', 'QuotaExceeded', 'UnsupportedContent', 'Cancelled']);

export interface FileSenderDeps {
  readonly session: XmppSession;
  readonly storage: Storage;
  readonly messenger: Messenger;
  readonly fetch?: FetchFunction;
  readonly randomBytes?: RandomBytes;
  readonly now?: () => number;
  readonly newId?: () => string;
  /** PUT attempts after the first, per send or resume (default 3). */
  readonly retries?: number;
  readonly retryDelayMs?: number;
}

export interface SendFileOptions {
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  /** The file's name, sent encrypted (default "file"). */
  readonly name?: string;
  /** Its media type, sent encrypted (default application/octet-stream). */
  readonly mediaType?: string;
  /** Voice and video: the length in milliseconds, sent encrypted. */
  readonly durationMs?: number;
}

export class FileSender {
  readonly #deps: FileSenderDeps;
  readonly #account: string;

  constructor(deps: FileSenderDeps) {
    this.#deps = deps;
    this.#account = deps.messenger.account;
  }

  /**
   * Encrypts, keeps, uploads and sends `bytes` to `peer`; resolves with the stored message (its
   * body is the aesgcm:// link). Rejects with a typed error; unless it is permanent (too large,
   * quota, cancelled) the file stays pending and resume() sends it later.
   */
  async send(
    peer: string,
    bytes: Uint8Array,
    options: SendFileOptions = {},
  ): Promise<StoredMessage> {
    const service = await discoverUploadService(this.#deps.session);
    if (
      service.maxFileSize !== undefined &&
      bytes.length + AESGCM_TAG_BYTES > service.maxFileSize
    ) {
      throw fileTooLarge(service.maxFileSize, bytes.length + AESGCM_TAG_BYTES);
    }
    const { ciphertext, key, iv } = await encryptFileAsync(bytes, this.#deps.randomBytes);
    const file: FileDescription = {
      name: safeFileName(options.name ?? '') || 'file',
      mediaType: options.mediaType?.trim().toLowerCase() || 'application/octet-stream',
      size: bytes.length,
      sha256: sha256Of(bytes),
      ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
    };
    const pending: PendingUpload = {
      id: (this.#deps.newId ?? (() => globalThis.crypto.randomUUID()))(),
      account: this.#account,
      peer: peer.toLowerCase().split('/')[0] ?? peer,
      ciphertext,
      key,
      iv,
      createdAt: (this.#deps.now ?? Date.now)(),
      attempts: 0,
      file,
    };
    await this.#deps.storage.uploads.put(pending);
    return this.#complete(pending, options);
  }

  /** Files waiting from an earlier run or a failed send. */
  async pending(): Promise<PendingUpload[]> {
    return this.#deps.storage.uploads.list(this.#account);
  }

  /** Finishes every pending file, oldest first; returns what was sent and what failed again. */
  async resume(
    options: SendFileOptions = {},
  ): Promise<{ sent: StoredMessage[]; failed: { id: string; error: HushError }[] }> {
    const sent: StoredMessage[] = [];
    const failed: { id: string; error: HushError }[] = [];
    for (const upload of await this.pending()) {
      try {
        sent.push(await this.#complete(upload, options));
      } catch (error) {
        failed.push({ id: upload.id, error: asHushError(error) });
      }
    }
    return { sent, failed };
  }

  async #complete(upload: PendingUpload, options: SendFileOptions): Promise<StoredMessage> {
    const { storage, messenger } = this.#deps;
    let current = upload;
    if (current.url === undefined) {
      try {
        const result = await uploadFile(
          this.#deps.session,
          {
            bytes: current.ciphertext,
            filename: 'encrypted',
            contentType: 'application/octet-stream',
          },
          {
            ...(this.#deps.fetch ? { fetch: this.#deps.fetch } : {}),
            ...(options.onProgress ? { onProgress: options.onProgress } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
            ...(this.#deps.retries !== undefined ? { retries: this.#deps.retries } : {}),
            ...(this.#deps.retryDelayMs !== undefined
              ? { retryDelayMs: this.#deps.retryDelayMs }
              : {}),
          },
        );
        current = { ...current, attempts: current.attempts + result.attempts, url: result.url };
        await storage.uploads.update(this.#account, current.id, {
          attempts: current.attempts,
          url: result.url,
        });
      } catch (error) {
        const failure = asHushError(error);
        if (PERMANENT.has(failure.code)) await storage.uploads.remove(this.#account, current.id);
        else
          await storage.uploads.update(this.#account, current.id, {
            attempts: current.attempts + 1,
          });
        throw failure;
      }
    }
    const url = current.url ?? '';
    const link = formatAesgcmUrl(url, current.key, current.iv);
    // A restart between queuing the message and forgetting the upload must not send it twice.
    const queued = await storage.messages.get(this.#account, current.id);
    const message =
      queued ??
      (await messenger.sendText(current.peer, link, {
        id: current.id,
        ...(current.file ? { file: current.file } : {}),
      }));
    await storage.uploads.remove(this.#account, current.id);
    return message;
  }
}

function asHushError(error: unknown): HushError {
  return isHushError(error)
    ? error
    : new HushError('UploadFailed', error instanceof Error ? error.message : String(error), {
        cause: error,
      });
}
