// XEP-0363 HTTP File Upload — https://xmpp.org/extensions/xep-0363.html (the HTTP side)
//
// Hush's upload service for S3 storage: Prosody (mod_http_upload_external, protocol v2) hands out
// the slots, with the size limit and, through mod_hush_upload_limits, each account's daily quota;
// this service checks a PUT against the slot's HMAC and streams it into the bucket, and streams
// GETs back out. File bytes never pass through Prosody and are never held whole here.
//
// What a client sees is what Prosody's own mod_http_file_share answers, so clients need nothing
// new: 201 for a stored PUT; 409 for a slot already used (the client then asks for a new one); a PUT
// cut mid-way stores nothing, so the same slot can be tried again; 404 for a file that is not there
// or older than the retention (the clients' LinkExpired); 413 for more than the limit.
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from './store.ts';
import { parseSlotPath, slotToken, tokenMatches } from './token.ts';

export interface ServiceOptions {
  readonly store: ObjectStore;
  /** The HMAC secret shared with mod_http_upload_external. */
  readonly secret: string;
  /** The path part of http_upload_external_base_url, e.g. "/upload/". */
  readonly basePath: string;
  /** Largest upload in bytes (the same limit Prosody announces). */
  readonly maxBytes: number;
  /** Seconds a file is kept; older ones are answered 404 and swept. */
  readonly expirySeconds: number;
  /** How often old objects are looked for (default: the retention, at most an hour). */
  readonly sweepSeconds?: number;
  /** PEM certificate chain and key: HTTPS. Without them plain HTTP, for a TLS proxy in front. */
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly host?: string;
  readonly port?: number;
  /** Where errors go (default console.error). Never given file bytes. */
  readonly log?: (message: string) => void;
}

export interface UploadService {
  readonly port: number;
  /** Deletes what is older than the retention now; resolves to the number deleted. */
  sweep(): Promise<number>;
  /** Serves this certificate and key from now on (a renewed certificate), without a restart. */
  setCertificate(tls: { readonly cert: string; readonly key: string }): void;
  close(): Promise<void>;
}

// Browsers fetch files from the web app's origin: they may read answers, and PUT with these headers.
const COMMON_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; sandbox",
  'Referrer-Policy': 'no-referrer',
};

function answer(res: ServerResponse, status: number, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = `${status} ${STATUS_TEXT[status] ?? ''}\n`;
  res.writeHead(status, {
    ...COMMON_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...extra,
  });
  res.end(text);
}

const STATUS_TEXT: Record<number, string> = {
  201: 'Created',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Content Too Large',
  502: 'Bad Gateway',
};

export async function startUploadService(options: ServiceOptions): Promise<UploadService> {
  const log = options.log ?? ((message: string) => console.error(message));
  const expiryMs = options.expirySeconds * 1000;
  // S3 gives times to the second, cut down: a file counts from the end of its second, so that it
  // is kept at least the whole retention.
  const expired = (lastModified: Date) => Date.now() - lastModified.getTime() - 1000 > expiryMs;

  async function put(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const slot = parseSlotPath(url.pathname, options.basePath);
    if (!slot) return answer(res, 404);
    const length = req.headers['content-length'];
    if (length === undefined || !/^\d{1,15}$/.test(length)) return answer(res, 411);
    const size = Number(length);
    if (size > options.maxBytes) return answer(res, 413, { Connection: 'close' });
    const contentType = req.headers['content-type'] ?? 'application/octet-stream';
    const expected = slotToken(options.secret, slot, size, contentType);
    if (!tokenMatches(expected, url.searchParams.get('v2'))) return answer(res, 403);
    if (await options.store.head(slot.id)) return answer(res, 409);
    // A client that goes away mid-body aborts the bucket's PUT too, so nothing half-written is kept.
    const cut = new AbortController();
    const onClose = () => {
      if (!req.complete) cut.abort(new Error('the upload was cut'));
    };
    req.once('close', onClose);
    try {
      await options.store.put(slot.id, req, size, cut.signal);
    } catch (error) {
      if (cut.signal.aborted) return;
      throw error;
    } finally {
      req.off('close', onClose);
    }
    answer(res, 201);
  }

  async function get(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const slot = parseSlotPath(url.pathname, options.basePath);
    if (!slot) return answer(res, 404);
    const gone = new AbortController();
    const onClose = () => gone.abort();
    res.once('close', onClose);
    const object =
      req.method === 'HEAD'
        ? await options.store.head(slot.id)
        : await options.store.get(slot.id, gone.signal);
    if (!object || expired(object.lastModified)) {
      object?.body?.destroy();
      if (object) options.store.delete(slot.id).catch(() => undefined);
      return answer(res, 404);
    }
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(object.size),
      'Content-Disposition': 'attachment',
      'Cache-Control': 'private, max-age=86400, immutable',
    });
    if (!object.body) {
      res.end();
      return;
    }
    // The reader learns at once that the file is there, whatever the bucket's first bytes take.
    res.flushHeaders();
    try {
      await pipeline(object.body, res);
    } catch {
      // The reader went away, or the bucket's answer broke off: the socket is closed either way.
    } finally {
      res.off('close', onClose);
    }
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://upload.invalid');
    const run = async () => {
      switch (req.method) {
        case 'PUT':
          return put(req, res, url);
        case 'GET':
        case 'HEAD':
          return get(req, res, url);
        case 'OPTIONS':
          res.writeHead(204, {
            ...COMMON_HEADERS,
            'Access-Control-Allow-Methods': 'GET, HEAD, PUT',
            'Access-Control-Allow-Headers': 'Authorization, Content-Type',
            'Access-Control-Max-Age': '86400',
          });
          res.end();
          return;
        default:
          return answer(res, 405, { Allow: 'GET, HEAD, PUT, OPTIONS' });
      }
    };
    run().catch((error: unknown) => {
      log(
        `upload service: ${req.method} failed: ${error instanceof Error ? error.message : error}`,
      );
      answer(res, 502);
    });
  };

  const server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler)
    : createHttpServer(handler);
  // A slow mobile upload of 10 MB may take minutes; a connection that sends nothing is closed.
  server.requestTimeout = 15 * 60_000;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  const sweep = () => options.store.deleteOlderThan(new Date(Date.now() - expiryMs));
  const every = Math.max(1, options.sweepSeconds ?? Math.min(options.expirySeconds, 3600));
  const timer = setInterval(() => {
    sweep().catch((error: unknown) =>
      log(`upload service: sweep failed: ${error instanceof Error ? error.message : error}`),
    );
  }, every * 1000);
  timer.unref();

  return {
    port: (server.address() as AddressInfo).port,
    sweep,
    setCertificate(tls) {
      if ('setSecureContext' in server) server.setSecureContext({ cert: tls.cert, key: tls.key });
    },
    async close() {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      options.store.close();
    },
  };
}
