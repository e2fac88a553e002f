// XEP-0454 OMEMO Media Sharing (receiving) — https://xmpp.org/extensions/xep-0454.html
// XEP-0363 HTTP File Upload (the GET side) — https://xmpp.org/extensions/xep-0363.html
//
// Fetches a shared file: aesgcm:// links over https with decryption and tag check, plain https://
// links as they are. The body is read chunk by chunk and reading stops at the size limit, so a
// hostile or broken server cannot make the client allocate more than the limit.
import { FileTooLargeError, HushError } from '../errors.ts';
import { AESGCM_TAG_BYTES, decryptFileAsync, parseAesgcmUrl } from './aesgcm.ts';
import { cancelledError, isCancellation, throwIfCancelled } from './cancel.ts';
import type { DownloadOptions, DownloadResult, FetchFunction } from './types.ts';

/** 10 MiB: the project's per-file limit (ARCHITECTURE.md). */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 10 * 1024 * 1024;

function defaultFetch(): FetchFunction {
  const platformFetch = (globalThis as { fetch?: FetchFunction }).fetch;
  if (typeof platformFetch !== 'function') {
    throw new HushError('DownloadFailed', 'This platform has no fetch(); pass one in.');
  }
  return (url, init) => platformFetch(url, init);
}

/** `size`: the file's, when the server declared it (without an encrypted file's tag). */
function tooLarge(limit: number, size?: number): FileTooLargeError {
  return new FileTooLargeError(
    `The file is larger than ${limit} bytes.`,
    size === undefined ? { limit } : { limit, size },
  );
}

export async function downloadFile(
  link: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const { signal, onProgress } = options;
  throwIfCancelled(signal);
  const encrypted = /^aesgcm:/i.test(link.trim());
  const target = encrypted ? parseAesgcmUrl(link) : undefined;
  const url = target?.url ?? link.trim();
  if (!target && !/^https:\/\/[^\s/?#]+[^\s]*$/i.test(url)) {
    throw new HushError('UnsupportedContent', 'Only https:// and aesgcm:// links can be fetched.');
  }
  const maxBytes = Math.max(0, options.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES);
  const limit = encrypted ? maxBytes + AESGCM_TAG_BYTES : maxBytes;
  const fetch = options.fetch ?? defaultFetch();

  let response: Response;
  try {
    response = await fetch(url, { method: 'GET', signal: signal ?? null });
  } catch (error) {
    if (isCancellation(error, signal)) throw cancelledError(error);
    throw new HushError('DownloadFailed', 'The file could not be fetched.', { cause: error });
  }
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel().catch(() => undefined);
    throw new HushError('LinkExpired', 'The file is no longer on the server.');
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new HushError('DownloadFailed', `The server answered HTTP ${response.status}.`);
  }

  const body = await readBounded(response, limit, maxBytes, signal, onProgress);
  if (!target) return { bytes: body, encrypted: false };
  return { bytes: await decryptFileAsync(body, target.key, target.iv), encrypted: true };
}

async function readBounded(
  response: Response,
  limit: number,
  maxBytes: number,
  signal: AbortSignal | undefined,
  onProgress: DownloadOptions['onProgress'],
): Promise<Uint8Array> {
  const lengthHeader = response.headers.get('content-length');
  const declared =
    lengthHeader && /^\d{1,15}$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  if (declared !== undefined && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(maxBytes, declared - (limit - maxBytes));
  }
  try {
    const reader = response.body?.getReader();
    if (!reader) {
      // Without a readable body (some React Native fetches) the whole answer arrives at once: only
      // the declared length above protected memory, so check again before using it.
      const whole = new Uint8Array(await response.arrayBuffer());
      if (whole.length > limit) throw tooLarge(maxBytes, whole.length - (limit - maxBytes));
      onProgress?.(whole.length, whole.length);
      return whole;
    }
    // With an honest declared size the body goes straight into one buffer of that size; otherwise
    // chunks are kept and joined. A compressed body's declared size is not the size read.
    const encoding = response.headers.get('content-encoding');
    const exact = encoding === null || encoding === 'identity' ? declared : undefined;
    const buffer = exact !== undefined ? new Uint8Array(exact) : undefined;
    const chunks: Uint8Array[] = [];
    let received = 0;
    onProgress?.(0, declared);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // A fetch that ignores the signal (or a body already buffered) must still stop on abort.
      if (signal?.aborted) {
        await reader.cancel().catch(() => undefined);
        throw cancelledError(signal.reason);
      }
      if (received + value.length > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(maxBytes);
      }
      if (buffer) {
        if (received + value.length > buffer.length) {
          await reader.cancel().catch(() => undefined);
          throw new HushError('DownloadFailed', 'The server sent more than it announced.');
        }
        buffer.set(value, received);
      } else {
        chunks.push(value);
      }
      received += value.length;
      onProgress?.(received, declared);
    }
    if (buffer) {
      if (received !== buffer.length)
        throw new HushError('DownloadFailed', 'The download ended early.');
      return buffer;
    }
    if (chunks.length === 1 && chunks[0]) return chunks[0];
    const bytes = new Uint8Array(received);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return bytes;
  } catch (error) {
    if (error instanceof HushError) throw error;
    if (isCancellation(error, signal)) throw cancelledError(error);
    throw new HushError('DownloadFailed', 'The download was interrupted.', { cause: error });
  }
}
