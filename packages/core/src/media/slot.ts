// XEP-0363 HTTP File Upload (discovery and slots) — https://xmpp.org/extensions/xep-0363.html
// XEP-0030 Service Discovery — https://xmpp.org/extensions/xep-0030.html
// XEP-0128 Service Discovery Extensions (the max-file-size form) — https://xmpp.org/extensions/xep-0128.html
//
// The XMPP half of an upload: finding the service and its size limit, and asking it for a slot.
// Prosody 0.12 (mod_http_file_share) refuses an oversized slot with not-acceptable plus
// <file-too-large/>, and a used-up daily quota or a full disk with resource-constraint.
import xml, { type Element } from '@xmpp/xml';
import type { XmppError } from '@xmpp/client';
import { FileTooLargeError, HushError, QuotaExceededError } from '../errors.ts';
import type { XmppSession } from '../xmpp/session.ts';
import { cancelledError, isCancellation, untilCancelled } from './cancel.ts';
import type { SlotRequest, UploadService, UploadSlot } from './types.ts';

export const NS_HTTP_UPLOAD = 'urn:xmpp:http:upload:0';
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const NS_DATA_FORMS = 'jabber:x:data';

export const DEFAULT_IQ_TIMEOUT_MS = 15_000;
// A server listing more components than this is not worth a disco#info storm.
const MAX_DISCO_ITEMS = 20;
// XEP-0363 §4: the only headers a client may copy from the slot onto its PUT.
const ALLOWED_PUT_HEADERS = new Map([
  ['authorization', 'Authorization'],
  ['cookie', 'Cookie'],
  ['expires', 'Expires'],
]);

const discovered = new WeakMap<XmppSession, Promise<UploadService>>();

function serverDomain(jid: string): string {
  const bare = jid.split('/')[0] ?? '';
  return bare.slice(bare.indexOf('@') + 1);
}

/**
 * The account server's upload service and size limit, asked once per session (a failed discovery
 * is forgotten, so a later call asks again). No service: UploadUnavailable.
 */
export function discoverUploadService(
  session: XmppSession,
  timeoutMs = DEFAULT_IQ_TIMEOUT_MS,
): Promise<UploadService> {
  let service = discovered.get(session);
  if (!service) {
    const found = findUploadService(session, timeoutMs);
    discovered.set(session, found);
    found.catch(() => {
      if (discovered.get(session) === found) discovered.delete(session);
    });
    service = found;
  }
  return service;
}

async function findUploadService(session: XmppSession, timeoutMs: number): Promise<UploadService> {
  const domain = serverDomain(session.jid);
  let items: string[];
  try {
    const result = await session.request(
      xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: NS_DISCO_ITEMS })),
      timeoutMs,
    );
    items = (result.getChild('query', NS_DISCO_ITEMS)?.getChildren('item') ?? [])
      .map((item) => item.attrs.jid)
      .filter((jid): jid is string => typeof jid === 'string' && jid !== '')
      .slice(0, MAX_DISCO_ITEMS);
  } catch (error) {
    throw new HushError('UploadUnavailable', 'Cannot ask the server for its upload service.', {
      cause: error,
    });
  }
  const candidates = await Promise.all(
    items.map((jid) => queryUploadInfo(session, jid, timeoutMs).catch(() => undefined)),
  );
  // Some servers answer uploads on the domain itself rather than on a component.
  const service =
    candidates.find((candidate) => candidate !== undefined) ??
    (await queryUploadInfo(session, domain, timeoutMs).catch(() => undefined));
  if (!service) {
    throw new HushError('UploadUnavailable', `${domain} offers no file upload (XEP-0363).`);
  }
  return service;
}

async function queryUploadInfo(
  session: XmppSession,
  jid: string,
  timeoutMs: number,
): Promise<UploadService | undefined> {
  const result = await session.request(
    xml('iq', { type: 'get', to: jid }, xml('query', { xmlns: NS_DISCO_INFO })),
    timeoutMs,
  );
  const query = result.getChild('query', NS_DISCO_INFO);
  const features = query?.getChildren('feature') ?? [];
  if (!features.some((feature) => feature.attrs.var === NS_HTTP_UPLOAD)) return undefined;
  return { jid, maxFileSize: readMaxFileSize(query?.getChildren('x', NS_DATA_FORMS) ?? []) };
}

function readMaxFileSize(forms: Element[]): number | undefined {
  for (const form of forms) {
    const fields = form.getChildren('field');
    const formType = fields.find((field) => field.attrs.var === 'FORM_TYPE');
    if (formType?.getChildText('value') !== NS_HTTP_UPLOAD) continue;
    const value = fields
      .find((field) => field.attrs.var === 'max-file-size')
      ?.getChildText('value')
      ?.trim();
    if (value && /^\d{1,15}$/.test(value)) return Number(value);
  }
  return undefined;
}

/** 10485760 -> "10 MB"; an odd limit keeps its exact byte count. */
function formatLimit(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return Number.isInteger(mb) ? `${mb} MB` : `${bytes} bytes`;
}

/** `size`: the bytes the upload would take, where known; `limit`: the server's, if it said. */
export function fileTooLarge(
  limit: number | undefined,
  size?: number,
  options?: { cause?: unknown },
): FileTooLargeError {
  return new FileTooLargeError(
    limit === undefined
      ? 'The file is larger than the server accepts.'
      : `The file is larger than the server accepts (${formatLimit(limit)}).`,
    { ...(limit === undefined ? {} : { limit }), ...(size === undefined ? {} : { size }) },
    options,
  );
}

/** Prosody rejects '/' in names; control characters would end up in a URL. */
function sanitizeFilename(name: string): string {
  let clean = '';
  for (const char of name) {
    const code = char.codePointAt(0) ?? 0;
    clean += code < 0x20 || code === 0x7f || char === '/' || char === '\\' ? '_' : char;
  }
  clean = clean.trim().slice(0, 200);
  return clean === '' || clean === '.' || clean === '..' ? 'file' : clean;
}

export async function requestUploadSlot(
  session: XmppSession,
  serviceJid: string,
  request: SlotRequest,
  options: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {},
): Promise<UploadSlot> {
  let result: Element;
  try {
    result = await untilCancelled(
      session.request(
        xml(
          'iq',
          { type: 'get', to: serviceJid },
          xml('request', {
            xmlns: NS_HTTP_UPLOAD,
            filename: sanitizeFilename(request.filename),
            size: String(request.size),
            'content-type': request.contentType,
          }),
        ),
        options.timeoutMs ?? DEFAULT_IQ_TIMEOUT_MS,
      ),
      options.signal,
    );
  } catch (error) {
    throw slotRefusal(error, request.size, options.signal);
  }
  return parseSlot(result);
}

function slotRefusal(error: unknown, size: number, signal: AbortSignal | undefined): HushError {
  if (isCancellation(error, signal)) return cancelledError(error);
  const stanzaError = error as XmppError;
  const tooLargeElement = stanzaError.element?.getChild('file-too-large', NS_HTTP_UPLOAD);
  if (tooLargeElement) {
    const limit = tooLargeElement.getChildText('max-file-size')?.trim() ?? '';
    return fileTooLarge(/^\d{1,15}$/.test(limit) ? Number(limit) : undefined, size, {
      cause: error,
    });
  }
  // Prosody sends resource-constraint both for the daily quota and for a full disk.
  if (stanzaError.condition === 'resource-constraint') {
    const retryAt = retryTime(stanzaError.element?.getChild('retry', NS_HTTP_UPLOAD)?.attrs.stamp);
    return new QuotaExceededError(
      'The upload quota is used up; try again later.',
      retryAt ? { retryAt } : {},
      { cause: error },
    );
  }
  const condition = stanzaError.condition ?? (error instanceof HushError ? error.code : 'error');
  return new HushError('UploadFailed', `The server gave no upload slot (${condition}).`, {
    cause: error,
  });
}

/** XEP-0363 §4.2: <retry stamp="…"/> says when the quota allows uploads again. */
function retryTime(stamp: unknown): Date | undefined {
  if (typeof stamp !== 'string' || !/^\d{4}-\d\d-\d\dT/.test(stamp)) return undefined;
  const time = new Date(stamp);
  return Number.isNaN(time.getTime()) ? undefined : time;
}

function parseSlot(result: Element): UploadSlot {
  const slot = result.getChild('slot', NS_HTTP_UPLOAD);
  const put = slot?.getChild('put');
  const putUrl = put?.attrs.url;
  const getUrl = slot?.getChild('get')?.attrs.url;
  // XEP-0363 §4 requires HTTPS for both: the token and the file must not cross the network in clear.
  if (
    !putUrl ||
    !getUrl ||
    !/^https:\/\/[^\s]+$/i.test(putUrl) ||
    !/^https:\/\/[^\s]+$/i.test(getUrl)
  ) {
    throw new HushError('UploadFailed', 'The server sent an unusable upload slot.');
  }
  const headers: Record<string, string> = {};
  for (const header of put?.getChildren('header') ?? []) {
    const name = ALLOWED_PUT_HEADERS.get((header.attrs.name ?? '').toLowerCase());
    const value = header.text().trim();
    if (name && !/[\r\n]/.test(value)) headers[name] = value;
  }
  return { putUrl, getUrl, headers };
}
