// XEP-0363 HTTP File Upload — https://xmpp.org/extensions/xep-0363.html
// XEP-0454 OMEMO Media Sharing — https://xmpp.org/extensions/xep-0454.html
// Types shared by upload and download. The HTTP client is injected as a `fetch` function, so core
// needs no platform HTTP stack: browsers and Node 22 pass globalThis.fetch, tests a wrapper.

/** The subset of WHATWG fetch that media/ uses. */
export type FetchFunction = (url: string, init?: RequestInit) => Promise<Response>;

/** Called as bytes move: `total` is undefined when the size is not known in advance. */
export type ProgressListener = (transferred: number, total: number | undefined) => void;

/** An XEP-0363 upload service found on the account's server. */
export interface UploadService {
  /** The service's JID, e.g. upload.example.org. */
  readonly jid: string;
  /** The largest file it accepts in bytes (what is uploaded: ciphertext plus tag); undefined: no limit announced. */
  readonly maxFileSize: number | undefined;
}

/** An upload slot: where to PUT (with which headers) and where the file can then be fetched. */
export interface UploadSlot {
  readonly putUrl: string;
  readonly getUrl: string;
  /** Only the headers XEP-0363 §4 allows the client to copy: Authorization, Cookie, Expires. */
  readonly headers: Readonly<Record<string, string>>;
}

/** What a slot is asked for: name (sanitised), exact size in bytes, and MIME type. */
export interface SlotRequest {
  readonly filename: string;
  readonly size: number;
  readonly contentType: string;
}

export interface FileToUpload {
  readonly bytes: Uint8Array;
  /** The name in the slot request and the URL; sanitised (no path separators or control characters). */
  readonly filename: string;
  readonly contentType?: string;
}

export interface UploadOptions {
  /** Defaults to globalThis.fetch. */
  readonly fetch?: FetchFunction;
  readonly onProgress?: ProgressListener;
  /** Aborting rejects with HushError('Cancelled'), at whatever stage the upload is. */
  readonly signal?: AbortSignal;
  /** PUT attempts after the first one (default 3); a slot the server refuses with 4xx is replaced. */
  readonly retries?: number;
  /** Delay before the first retry, doubled for each further one (default 500 ms). */
  readonly retryDelayMs?: number;
  /**
   * A streamed PUT that takes no bytes for this long (a dead mobile link keeps the socket open) is
   * abandoned and retried (default 30 s). Buffered bodies have no stall detection.
   */
  readonly stallTimeoutMs?: number;
  /**
   * How the body is handed to fetch. 'stream' (a ReadableStream read chunk by chunk) gives real
   * progress; 'buffer' gives progress only at start and end. 'auto' (default) streams where the
   * platform supports request streams and falls back to 'buffer' when the first streamed attempt
   * is refused before any byte was read (Chromium allows streamed uploads only over HTTP/2, and
   * Prosody 0.12 speaks HTTP/1.1; React Native's fetch has no request streams at all).
   */
  readonly body?: 'auto' | 'stream' | 'buffer';
  /** Timeout of each IQ (discovery and slot request), default 15 s. */
  readonly iqTimeoutMs?: number;
}

export interface UploadResult {
  /** The https:// GET URL of the uploaded file. */
  readonly url: string;
  /** Bytes uploaded. */
  readonly size: number;
  /** PUT attempts it took (1 when the first succeeded). */
  readonly attempts: number;
}

export interface EncryptedUploadResult extends UploadResult {
  /** The XEP-0454 aesgcm:// link to send inside an OMEMO-encrypted body. */
  readonly aesgcmUrl: string;
}

export interface DownloadOptions {
  /** Defaults to globalThis.fetch. */
  readonly fetch?: FetchFunction;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  /**
   * Largest file accepted (plaintext bytes; the 16-byte GCM tag is allowed on top). Reading stops as
   * soon as it is exceeded. Default DEFAULT_MAX_DOWNLOAD_BYTES (10 MiB, the project's file limit).
   */
  readonly maxBytes?: number;
}

export interface DownloadResult {
  /** The file: decrypted and verified for aesgcm:// links, as served for https:// ones. */
  readonly bytes: Uint8Array;
  /** True when the link was aesgcm:// and the content passed the GCM tag check. */
  readonly encrypted: boolean;
}
