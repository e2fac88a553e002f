// XEP-0363 HTTP File Upload (the PUT) — https://xmpp.org/extensions/xep-0363.html
// XEP-0454 OMEMO Media Sharing (encrypted uploads) — https://xmpp.org/extensions/xep-0454.html
//
// PUTs the bytes into a slot (slot.ts), retrying cut or failed PUTs. Prosody 0.12's
// mod_http_file_share (read from its source): PUT and GET URL are the same; the PUT carries an
// Authorization: Bearer token valid 300 s; a PUT cut half-way is discarded, so the same slot can be
// tried again, but a completed one answers 409 and an expired token 410: a 4xx means the slot is
// spent and a new one is needed. The size limit is enforced at slot request and applies to what is
// uploaded (ciphertext plus tag), so it is checked here first, without a slot.
import { HushError } from '../errors.ts';
import type { RandomBytes } from '../util/random.ts';
import type { XmppSession } from '../xmpp/session.ts';
import { AESGCM_TAG_BYTES, encryptFileAsync, formatAesgcmUrl } from './aesgcm.ts';
import {
  cancelledError,
  isCancellation,
  sleep,
  throwIfCancelled,
  untilCancelled,
} from './cancel.ts';
import {
  DEFAULT_IQ_TIMEOUT_MS,
  discoverUploadService,
  fileTooLarge,
  requestUploadSlot,
} from './slot.ts';
import type {
  EncryptedUploadResult,
  FetchFunction,
  FileToUpload,
  ProgressListener,
  SlotRequest,
  UploadOptions,
  UploadResult,
  UploadSlot,
} from './types.ts';

// Small enough for smooth progress, large enough that per-chunk overhead does not matter.
const STREAM_CHUNK_BYTES = 64 * 1024;

/** A PUT that did not succeed: `status` when the server answered, `bytesRead` of the body taken. */
class PutFailure extends Error {
  readonly status: number | undefined;
  readonly bytesRead: number;
  readonly stalled: boolean;

  constructor(
    message: string,
    details: { status?: number; bytesRead: number; stalled?: boolean },
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'PutFailure';
    this.status = details.status;
    this.bytesRead = details.bytesRead;
    this.stalled = details.stalled ?? false;
  }
}

// The WHATWG feature test for request streams (https://developer.chrome.com/docs/capabilities/web-apis/fetch-streaming-requests):
// a platform that supports them reads `duplex` and does not turn the stream into a text body.
function supportsRequestStreams(): boolean {
  try {
    if (typeof ReadableStream !== 'function' || typeof Request !== 'function') return false;
    let duplexRead = false;
    const init = {
      method: 'PUT',
      body: new ReadableStream(),
      get duplex(): 'half' {
        duplexRead = true;
        return 'half';
      },
    };
    const hasContentType = new Request('https://upload.invalid/', init).headers.has('Content-Type');
    return duplexRead && !hasContentType;
  } catch {
    return false;
  }
}

interface PutRequest {
  readonly fetch: FetchFunction;
  readonly slot: UploadSlot;
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly stream: boolean;
  readonly onProgress: ProgressListener | undefined;
  readonly signal: AbortSignal | undefined;
  readonly stallTimeoutMs: number;
}

async function putFile(request: PutRequest): Promise<void> {
  const { bytes, onProgress } = request;
  const total = bytes.length;
  let bytesRead = 0;
  // Each attempt has its own controller: the caller's signal cancels it, and so does a stall.
  const attempt = new AbortController();
  const cancel = () => attempt.abort(request.signal?.reason);
  request.signal?.addEventListener('abort', cancel, { once: true });
  let stalled = false;
  let settled = false;
  let stallTimer: ReturnType<typeof setTimeout> | undefined;
  const armStallTimer = () => {
    clearTimeout(stallTimer);
    // fetch may go on pulling after the server has answered (a 401 before the body was read).
    if (settled) return;
    stallTimer = setTimeout(() => {
      stalled = true;
      attempt.abort();
    }, request.stallTimeoutMs);
  };
  let body: RequestInit['body'];
  if (request.stream) {
    // Progress counts what fetch has taken from the stream: it runs ahead of the wire by the
    // socket's buffers (tens of KB), and the last step is reported only once the server answered.
    // A dead link shows as fetch no longer pulling, which arms the stall timer.
    armStallTimer();
    body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (settled) {
            controller.close();
            return;
          }
          armStallTimer();
          if (bytesRead > 0 && bytesRead < total) onProgress?.(bytesRead, total);
          if (bytesRead >= total) {
            controller.close();
            return;
          }
          const end = Math.min(bytesRead + STREAM_CHUNK_BYTES, total);
          // A copy: some fetch implementations detach the buffers they are given.
          controller.enqueue(bytes.slice(bytesRead, end));
          bytesRead = end;
        },
      },
      { highWaterMark: 0 },
    );
  } else {
    // fetch offers no upload progress for a buffered body: only the start and the end are known,
    // and a slow link cannot be told from a dead one, so there is no stall timer either.
    body = bytes as Uint8Array<ArrayBuffer>;
    bytesRead = total;
  }
  onProgress?.(0, total);
  try {
    let response: Response;
    try {
      response = await request.fetch(request.slot.putUrl, {
        method: 'PUT',
        headers: {
          ...request.slot.headers,
          'Content-Type': request.contentType,
          'Content-Length': String(total),
        },
        body,
        signal: attempt.signal,
        ...(request.stream ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (error) {
      if (request.signal?.aborted) throw cancelledError(error);
      const message = stalled ? 'The upload stalled.' : 'The upload was interrupted.';
      throw new PutFailure(message, { bytesRead: request.stream ? bytesRead : 0, stalled }, error);
    }
    // Nobody reads the answer's body; dropping it frees the connection.
    await response.body?.cancel().catch(() => undefined);
    if (!response.ok) {
      throw new PutFailure(`The server refused the upload (HTTP ${response.status}).`, {
        status: response.status,
        bytesRead,
      });
    }
  } finally {
    settled = true;
    clearTimeout(stallTimer);
    request.signal?.removeEventListener('abort', cancel);
  }
  onProgress?.(total, total);
}

function defaultFetch(): FetchFunction {
  const platformFetch = (globalThis as { fetch?: FetchFunction }).fetch;
  if (typeof platformFetch !== 'function') {
    throw new HushError('UploadUnavailable', 'This platform has no fetch(); pass one in.');
  }
  return (url, init) => platformFetch(url, init);
}

// A 4xx other than these means the slot itself is spent (used, expired, refused).
const RETRY_SAME_SLOT = new Set([408, 425, 429]);

/**
 * Uploads `file` and returns its GET URL. The size is checked against the service's limit before a
 * slot is requested; a PUT that fails is retried `retries` times with exponential backoff, on a new
 * slot when the server answered 4xx. Progress restarts from 0 on each attempt.
 */
export async function uploadFile(
  session: XmppSession,
  file: FileToUpload,
  options: UploadOptions = {},
): Promise<UploadResult> {
  const { signal, onProgress } = options;
  const timeoutMs = options.iqTimeoutMs ?? DEFAULT_IQ_TIMEOUT_MS;
  const retries = Math.max(0, Math.min(10, Math.floor(options.retries ?? 3)));
  const baseDelayMs = Math.max(0, options.retryDelayMs ?? 500);
  const stallTimeoutMs = Math.max(1, options.stallTimeoutMs ?? 30_000);
  throwIfCancelled(signal);
  const fetch = options.fetch ?? defaultFetch();
  const size = file.bytes.length;
  const service = await untilCancelled(discoverUploadService(session, timeoutMs), signal);
  if (service.maxFileSize !== undefined && size > service.maxFileSize) {
    throw fileTooLarge(service.maxFileSize, size);
  }
  const slotRequest: SlotRequest = {
    filename: file.filename,
    size,
    contentType: file.contentType?.trim() || 'application/octet-stream',
  };
  const slotOptions = { timeoutMs, ...(signal ? { signal } : {}) };
  let slot = await requestUploadSlot(session, service.jid, slotRequest, slotOptions);

  const mode = options.body ?? 'auto';
  let stream = mode === 'stream' || (mode === 'auto' && supportsRequestStreams());
  let retriesLeft = retries;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      await putFile({
        fetch,
        slot,
        bytes: file.bytes,
        contentType: slotRequest.contentType,
        stream,
        onProgress,
        signal,
        stallTimeoutMs,
      });
      return { url: slot.getUrl, size, attempts };
    } catch (error) {
      if (isCancellation(error, signal)) throw cancelledError(error);
      const failure = error as PutFailure;
      if (
        mode === 'auto' &&
        stream &&
        failure.status === undefined &&
        failure.bytesRead === 0 &&
        !failure.stalled
      ) {
        // Refused at once, before reading the body: most likely no request streams on this
        // connection (Chromium over HTTP/1.1).
        stream = false;
        continue;
      }
      if (retriesLeft === 0) {
        throw new HushError('UploadFailed', failure.message, { cause: error });
      }
      const delay = baseDelayMs * 2 ** (retries - retriesLeft);
      retriesLeft--;
      await sleep(delay, signal);
      const status = failure.status;
      if (status !== undefined && status >= 400 && status < 500 && !RETRY_SAME_SLOT.has(status)) {
        slot = await requestUploadSlot(session, service.jid, slotRequest, slotOptions);
      }
    }
  }
}

export interface EncryptedUploadOptions extends UploadOptions {
  /** The CSPRNG for key and IV; defaults to crypto.getRandomValues (fails closed without one). */
  readonly randomBytes?: RandomBytes;
}

/**
 * Encrypts `bytes` (XEP-0454) and uploads the ciphertext under a name and type that say nothing
 * about the file; the receiver learns both from the decrypted content.
 */
export async function uploadEncryptedFile(
  session: XmppSession,
  bytes: Uint8Array,
  options: EncryptedUploadOptions = {},
): Promise<EncryptedUploadResult> {
  throwIfCancelled(options.signal);
  const service = await untilCancelled(
    discoverUploadService(session, options.iqTimeoutMs ?? DEFAULT_IQ_TIMEOUT_MS),
    options.signal,
  );
  // Refused before spending time on encryption.
  if (service.maxFileSize !== undefined && bytes.length + AESGCM_TAG_BYTES > service.maxFileSize) {
    throw fileTooLarge(service.maxFileSize, bytes.length + AESGCM_TAG_BYTES);
  }
  const { ciphertext, key, iv } = await encryptFileAsync(bytes, options.randomBytes);
  const result = await uploadFile(
    session,
    { bytes: ciphertext, filename: 'encrypted', contentType: 'application/octet-stream' },
    options,
  );
  return { ...result, aesgcmUrl: formatAesgcmUrl(result.url, key, iv) };
}
