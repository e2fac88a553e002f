// A chat message's body is text, or a single file link (XEP-0363 upload, XEP-0454 aesgcm:// when
// encrypted): other clients send voice messages that way, and so does Hush. What the file is comes
// from the description its sender gave (XEP-0447, kept with the message) or else from the link.
// Pure (no React Native): notifications use it too.
import type { FileDescription } from '@hush/core';
import { en } from '../i18n/en.ts';

/** What a file is, as far as known: from its link, from its bytes once read, or as sent. */
export interface FileFacts {
  readonly name?: string | undefined;
  readonly mimeType?: string | undefined;
  readonly durationMs?: number | undefined;
  /** A voice message's loudness in bars of 0 to 1 (waveform.ts), once worked out. */
  readonly waveform?: readonly number[] | undefined;
}

export type FileWords = Pick<
  typeof en.file,
  'voice' | 'voiceWithLength' | 'photo' | 'video' | 'file'
>;

export type BodyKind =
  | { readonly kind: 'text'; readonly preview: string }
  | {
      readonly kind: 'voice' | 'file';
      readonly url: string;
      /**
       * The name its sender described, else the one in the link, when it is one a person gave
       * (never an upload's placeholder).
       */
      readonly name: string;
      readonly encrypted: boolean;
      readonly preview: string;
      /** Its type and length, as its sender described them. */
      readonly mimeType?: string;
      readonly durationMs?: number;
    };

const AUDIO = /\.(m4a|mp4|aac|ogg|oga|opus|webm|mp3|wav)$/i;
const IMAGE = /\.(png|jpe?g|gif|webp|heic|avif)$/i;
const VIDEO = /\.(mov|m4v|mkv)$/i;
/** Names uploads carry that say nothing: Hush's own, and other clients' for encrypted files. */
const PLACEHOLDER = /^(encrypted|hush-file|file|blob|unnamed)(\.bin)?$/i;

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * The label of a file in a chat: "Voice message 0:12", "Photo", "Video", its name ("notes.txt"), or
 * "File" when nothing more is known.
 */
export function fileLabel(
  facts: FileFacts & { readonly kind?: 'voice' | 'file' },
  words: FileWords = en.file,
): string {
  const mime = facts.mimeType?.toLowerCase() ?? '';
  const name = facts.name && !PLACEHOLDER.test(facts.name) ? facts.name : undefined;
  const voice = mime.startsWith('audio/') || (facts.kind === 'voice' && !mime);
  if (voice) {
    return facts.durationMs !== undefined && facts.durationMs > 0
      ? words.voiceWithLength.replace('{{length}}', formatDuration(facts.durationMs / 1000))
      : words.voice;
  }
  if (mime.startsWith('image/')) return words.photo;
  if (mime.startsWith('video/')) return words.video;
  return name ?? words.file;
}

/**
 * What a message's body is: text, or a file, named and typed by `file` (the description kept with
 * the message) where there is one.
 */
export function describeBody(
  body: string,
  words: FileWords = en.file,
  file?: FileDescription,
): BodyKind {
  const text = body.trim();
  if (!/^(aesgcm|https?):\/\/\S+$/i.test(text)) return { kind: 'text', preview: body };
  const withoutFragment = text.split('#')[0] ?? text;
  const path = withoutFragment.split('?')[0] ?? withoutFragment;
  let name = path.slice(path.lastIndexOf('/') + 1);
  try {
    name = decodeURIComponent(name);
  } catch {
    // keep it as it came
  }
  if (PLACEHOLDER.test(name)) name = '';
  const encrypted = /^aesgcm:/i.test(text);
  // A plain web link that is not a file is text (shown as it is).
  if (!encrypted && !/\.[A-Za-z0-9]{2,5}$/.test(path)) return { kind: 'text', preview: body };
  if (file) {
    const described = {
      kind: file.mediaType.toLowerCase().startsWith('audio/')
        ? ('voice' as const)
        : ('file' as const),
      // Cleaned as a saved name is: a sender's "photo\u202egpj.exe" must not read as "photoexe.jpg".
      name: PLACEHOLDER.test(file.name) ? name : sanitizeFileName(file.name),
      mimeType: file.mediaType,
      ...(file.durationMs !== undefined ? { durationMs: file.durationMs } : {}),
    };
    return { ...described, url: text, encrypted, preview: fileLabel(described, words) };
  }
  const kind = AUDIO.test(name) ? 'voice' : 'file';
  const mimeType = IMAGE.test(name) ? 'image/*' : VIDEO.test(name) ? 'video/*' : undefined;
  return { kind, url: text, name, encrypted, preview: fileLabel({ kind, name, mimeType }, words) };
}

/** The extension a saved file gets from its type, when its name has none. */
const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'audio/mp4': 'm4a',
  'audio/webm': 'webm',
  'audio/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/wav': 'wav',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
  'application/zip': 'zip',
};

/** A saved file's name is cut to this many characters (its extension kept). */
export const MAX_FILE_NAME = 100;

/**
 * What a name becomes before a file is saved under it: no folders (path separators and the
 * characters file systems refuse become '_'), no control or direction-changing characters (which
 * could show "photo‮gpj.exe" as "photoexe.jpg"), no leading dots (hidden files) or trailing dots
 * and spaces, at most MAX_FILE_NAME characters with the extension kept. Empty when nothing is left.
 */
export function sanitizeFileName(name: string): string {
  let clean = name
    .normalize('NFC')
    // Line breaks and tabs are spaces; then go other C0 and C1 controls, bidirectional overrides
    // and isolates, zero-width characters and the BOM.
    .replace(/\s+/g, ' ')
    // eslint-disable-next-line no-control-regex -- removing them is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
    .replace(/ {2,}/g, ' ')
    .replace(/[/\\<>:"|?*]/g, '_')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  const characters = [...clean];
  if (characters.length > MAX_FILE_NAME) {
    const dot = clean.lastIndexOf('.');
    const extension = dot > 0 ? [...clean.slice(dot)] : [];
    const keep = extension.length > 0 && extension.length <= 10 ? extension : [];
    clean = [...characters.slice(0, MAX_FILE_NAME - keep.length), ...keep]
      .join('')
      .replace(/[\s.]+$/g, '');
  }
  return clean;
}

/**
 * The name to save a received file under: the one it came with or its sender gave it (cleaned by
 * sanitizeFileName), else its kind in the app's words ("Photo.jpg", "File.pdf"); an extension from
 * its type is added where the name has none.
 */
export function downloadName(
  facts: FileFacts & { readonly kind?: 'voice' | 'file' },
  words: FileWords = en.file,
): string {
  const mime = facts.mimeType?.toLowerCase() ?? '';
  const extension = EXTENSIONS[mime];
  const given = facts.name && !PLACEHOLDER.test(facts.name) ? sanitizeFileName(facts.name) : '';
  const base =
    given ||
    sanitizeFileName(
      fileLabel({ ...(facts.kind ? { kind: facts.kind } : {}), mimeType: facts.mimeType }, words)
        // A voice message's length ("0:12") has no place in a file name.
        .replace(/\s*\d+:\d\d$/, ''),
    ) ||
    'file';
  if (!extension || /\.[A-Za-z0-9]{1,10}$/.test(base)) return base;
  return sanitizeFileName(`${base}.${extension}`);
}
