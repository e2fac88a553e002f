// XEP-0447 Stateless File Sharing — https://xmpp.org/extensions/xep-0447.html
// XEP-0448 Encryption for Stateless File Sharing — https://xmpp.org/extensions/xep-0448.html
// XEP-0446 File Metadata Element — https://xmpp.org/extensions/xep-0446.html
// XEP-0300 Use of Cryptographic Hash Functions in XMPP — https://xmpp.org/extensions/xep-0300.html
// What a file message says about its file, for the receiver only: a <file-sharing/> element that
// travels inside the OMEMO 2 envelope (XEP-0420), never in the clear stanza:
//   <file-sharing xmlns='urn:xmpp:sfs:0' disposition='attachment'>
//     <file xmlns='urn:xmpp:file:metadata:0'><media-type/><name/><size/><length/> (voice, ms)
//       <hash xmlns='urn:xmpp:hashes:2' algo='sha-256'/> (of the plaintext)</file>
//     <sources><encrypted xmlns='urn:xmpp:esfs:0' cipher='urn:xmpp:ciphers:aes-256-gcm-nopadding:0'>
//       <key/><iv/> (base64) <sources xmlns='urn:xmpp:sfs:0'><url-data target='https://…'/></sources>
//     </encrypted></sources></file-sharing>
// The key, IV and address are those of the aesgcm:// link in the body (XEP-0454), which stays there
// for clients that read only the body, marked as the description's fallback (XEP-0428
// <fallback for='urn:xmpp:sfs:0'/>, so a client that reads <file-sharing/> does not show the link as
// text); a <file-sharing/> that describes another file than the link is refused. Reading is strict: anything that does not parse into one complete encrypted file is a
// typed error (FileSharingError, code ProtocolError), and the message keeps its body link, so
// nothing is lost. A downloaded file whose hash differs is an IntegrityError.
import xml, { type Element } from '@xmpp/xml';
import { sha256 } from '@noble/hashes/sha2.js';
import { HushError } from '../errors.ts';
import { decodeBase64, encodeBase64 } from '../util/base64.ts';
import { equalBytes } from '../omemo/bytes.ts';
import type { FileDescription } from '../storage/types.ts';
import { AESGCM_IV_BYTES, AESGCM_KEY_BYTES, formatAesgcmUrl, parseAesgcmUrl } from './aesgcm.ts';

export const NS_SFS = 'urn:xmpp:sfs:0';
export const NS_ESFS = 'urn:xmpp:esfs:0';
export const NS_FILE_METADATA = 'urn:xmpp:file:metadata:0';
export const NS_HASHES = 'urn:xmpp:hashes:2';
export const NS_URL_DATA = 'http://jabber.org/protocol/url-data';
export const CIPHER_AES_256_GCM = 'urn:xmpp:ciphers:aes-256-gcm-nopadding:0';
export const NS_FALLBACK = 'urn:xmpp:fallback:0';

/**
 * A media type (RFC 6838), with parameters where the sender gives them (RFC 2045 §5.1): browsers
 * record voice as "audio/webm; codecs=opus", and the codec is what a player needs to know.
 */
const MEDIA_TYPE =
  /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(\s*;\s*[a-z0-9!#$&^_.+-]+=([a-z0-9!#$&^_.+-]+|"[^"\\]*"))*$/;

/** The longest file name kept; longer ones are refused as malformed. */
export const MAX_FILE_NAME = 255;

/**
 * A file shared encrypted: what it is (name, type, size, hash: the FileDescription kept with the
 * message) and where and how to get it (what the body's aesgcm:// link says).
 */
export interface SharedFile extends FileDescription {
  /** The https:// address of the ciphertext (AES-256-GCM, tag appended). */
  readonly url: string;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

/** What of `file` is kept with its message: the description, without its address and key. */
export function descriptionOf(file: FileDescription): FileDescription {
  return {
    name: file.name,
    mediaType: file.mediaType,
    size: file.size,
    sha256: file.sha256,
    ...(file.durationMs !== undefined ? { durationMs: file.durationMs } : {}),
  };
}

/**
 * The <file-sharing/> and fallback elements for a message whose body is the aesgcm:// link of the
 * file `description` describes; none when the body is no such link (nothing to describe).
 */
export function describedElements(description: FileDescription, body: string): Element[] {
  let link;
  try {
    link = parseAesgcmUrl(body.trim());
  } catch {
    return [];
  }
  return fileSharingElements({ ...descriptionOf(description), ...link });
}

/** What a message's decrypted content says about its file. */
export type FileSharingResult =
  /** `body`: what to keep as the message's body (its aesgcm:// link). */
  | { readonly file: SharedFile; readonly body: string }
  | { readonly error: FileSharingError }
  | Record<string, never>;

/** Why a <file-sharing/> was refused; `code` is always ProtocolError. */
export class FileSharingError extends HushError {
  readonly reason: 'Malformed' | 'Mismatch';

  constructor(reason: FileSharingError['reason'], message: string) {
    super('ProtocolError', message);
    this.name = 'FileSharingError';
    this.reason = reason;
  }
}

function malformed(why: string): FileSharingError {
  return new FileSharingError('Malformed', `The shared file's description is refused: ${why}`);
}

/** A name safe to save under: its last path part, without control characters. */
export function safeFileName(name: string): string {
  const last = name.split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  return last.replace(/[\u0000-\u001f\u007f]/g, '').trim();
}

/** The <file-sharing/> element for `file`. */
export function buildFileSharing(file: SharedFile): Element {
  return xml(
    'file-sharing',
    { xmlns: NS_SFS, disposition: file.mediaType.startsWith('audio/') ? 'inline' : 'attachment' },
    xml(
      'file',
      { xmlns: NS_FILE_METADATA },
      xml('media-type', {}, file.mediaType),
      xml('name', {}, file.name),
      xml('size', {}, String(file.size)),
      ...(file.durationMs === undefined
        ? []
        : [xml('length', {}, String(Math.round(file.durationMs)))]),
      xml('hash', { xmlns: NS_HASHES, algo: 'sha-256' }, encodeBase64(file.sha256)),
    ),
    xml(
      'sources',
      {},
      xml(
        'encrypted',
        { xmlns: NS_ESFS, cipher: CIPHER_AES_256_GCM },
        xml('key', {}, encodeBase64(file.key)),
        xml('iv', {}, encodeBase64(file.iv)),
        xml(
          'sources',
          { xmlns: NS_SFS },
          xml('url-data', { xmlns: NS_URL_DATA, target: file.url }),
        ),
      ),
    ),
  );
}

function wholeNumber(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d{1,15}$/.test(text.trim())) throw malformed(`no valid ${what}.`);
  return Number(text.trim());
}

function bytesOf(text: string | undefined, length: number, what: string): Uint8Array {
  const bytes = text === undefined ? undefined : decodeBase64(text.trim());
  if (!bytes || bytes.length !== length) throw malformed(`the ${what} is not ${length} bytes.`);
  return bytes;
}

/** A <file-sharing/> element -> the file it describes, or FileSharingError('Malformed'). */
export function parseFileSharing(element: Element): SharedFile {
  if (!element.is('file-sharing', NS_SFS)) throw malformed('not a file-sharing element.');
  const files = element.getChildren('file', NS_FILE_METADATA);
  const file = files[0];
  if (!file || files.length > 1) throw malformed('no single <file/>.');
  const name = safeFileName(file.getChildText('name') ?? '');
  if (name === '' || name.length > MAX_FILE_NAME) throw malformed('no usable file name.');
  const mediaType = (file.getChildText('media-type') ?? '').trim().toLowerCase();
  if (!MEDIA_TYPE.test(mediaType)) throw malformed('no valid media type.');
  const size = wholeNumber(file.getChildText('size') ?? undefined, 'size');
  const lengthText = file.getChildText('length') ?? undefined;
  const durationMs = lengthText === undefined ? undefined : wholeNumber(lengthText, 'length');
  const hash = file
    .getChildren('hash', NS_HASHES)
    .find((candidate) => candidate.attrs.algo === 'sha-256');
  const digest = bytesOf(hash?.text(), 32, 'SHA-256 hash');
  const encrypted = element
    .getChild('sources')
    ?.getChildren('encrypted', NS_ESFS)
    .find((candidate) => candidate.attrs.cipher === CIPHER_AES_256_GCM);
  if (!encrypted) throw malformed('no AES-256-GCM encrypted source.');
  const key = bytesOf(encrypted.getChildText('key') ?? undefined, AESGCM_KEY_BYTES, 'key');
  const iv = bytesOf(encrypted.getChildText('iv') ?? undefined, AESGCM_IV_BYTES, 'IV');
  const url = encrypted
    .getChild('sources', NS_SFS)
    ?.getChildren('url-data', NS_URL_DATA)
    .map((source) => source.attrs.target)
    .find((target) => typeof target === 'string' && /^https:\/\/[^\s#]+$/i.test(target));
  if (typeof url !== 'string') throw malformed('no https:// source.');
  return {
    name,
    mediaType,
    size,
    sha256: digest,
    ...(durationMs === undefined ? {} : { durationMs }),
    url,
    key,
    iv,
  };
}

/**
 * What a file message's envelope carries beside its aesgcm:// body: the description, and the mark
 * that the whole body is its fallback (XEP-0428).
 */
export function fileSharingElements(file: SharedFile): Element[] {
  return [
    buildFileSharing(file),
    xml('fallback', { xmlns: NS_FALLBACK, for: NS_SFS }, xml('body', {})),
  ];
}

/** The aesgcm:// link the body carries for `file` (XEP-0454). */
export function linkOf(file: SharedFile): string {
  return formatAesgcmUrl(file.url, file.key, file.iv);
}

/**
 * The file a message's decrypted `elements` describe, checked against its `body`, and the body to
 * keep: nothing when there is no <file-sharing/>; an error when it is malformed, repeated, or
 * describes another file than the body's aesgcm:// link. A body that is no link but only stands in
 * for the file (empty, the file's https:// address, or marked as the description's fallback, as
 * clients that send XEP-0447 do) is replaced by the file's aesgcm:// link, so the file reads like any
 * other; a body with other text keeps its text, and the description is refused as not matching.
 */
export function readFileSharing(
  elements: readonly Element[] | undefined,
  body: string | undefined,
): FileSharingResult {
  const sharing = (elements ?? []).filter((element) => element.is('file-sharing', NS_SFS));
  if (sharing.length === 0) return {};
  try {
    if (sharing.length > 1) throw malformed('more than one <file-sharing/>.');
    const file = parseFileSharing(sharing[0] as Element);
    const text = (body ?? '').trim();
    let link;
    try {
      link = parseAesgcmUrl(text);
    } catch {
      if (text === '' || text === file.url || wholeBodyFallback(elements ?? [])) {
        return { file, body: linkOf(file) };
      }
      throw new FileSharingError('Mismatch', 'The shared file has no aesgcm:// link beside it.');
    }
    if (link.url !== file.url || !equalBytes(link.key, file.key) || !equalBytes(link.iv, file.iv)) {
      throw new FileSharingError(
        'Mismatch',
        'The shared file is described as another file than the message links to.',
      );
    }
    return { file, body: body ?? '' };
  } catch (error) {
    if (error instanceof FileSharingError) return { error };
    throw error;
  }
}

/** Whether the elements mark the whole body as the fallback of a <file-sharing/> (XEP-0428). */
function wholeBodyFallback(elements: readonly Element[]): boolean {
  return elements.some(
    (element) =>
      element.is('fallback', NS_FALLBACK) &&
      element.attrs.for === NS_SFS &&
      element
        .getChildren('body')
        .some((part) => part.attrs.start === undefined && part.attrs.end === undefined),
  );
}

/** The SHA-256 of `bytes`, as <hash/> carries it. */
export function sha256Of(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}

/**
 * Checks downloaded, decrypted bytes against what the sender described: the size (a longer file is
 * cut to it, XEP-0448 §3.2) and the SHA-256. A mismatch is HushError('IntegrityError').
 */
export function verifySharedFile(bytes: Uint8Array, file: SharedFile): Uint8Array {
  if (bytes.length < file.size) {
    throw new HushError(
      'IntegrityError',
      `The file is ${bytes.length} bytes, but the sender described ${file.size}.`,
    );
  }
  const content = bytes.length > file.size ? bytes.subarray(0, file.size) : bytes;
  if (!equalBytes(sha256(content), file.sha256)) {
    throw new HushError(
      'IntegrityError',
      'The file does not match the hash its sender gave: it was changed or is another file.',
    );
  }
  return content;
}
