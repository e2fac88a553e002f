// A chat message's body is text, or a single file link (XEP-0363 upload, XEP-0454 aesgcm:// when
// encrypted): other clients send voice messages that way, and so does Hush. Pure (no React Native):
// notifications use it too.
import { en } from '../i18n/en.ts';

/** What a file is, as far as known: from its link, from its bytes once read, or as sent. */
export interface FileFacts {
  readonly name?: string | undefined;
  readonly mimeType?: string | undefined;
  readonly durationMs?: number | undefined;
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
      /** The name in the link, when it is one a person gave (never an upload's placeholder). */
      readonly name: string;
      readonly encrypted: boolean;
      readonly preview: string;
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

export function describeBody(body: string, words: FileWords = en.file): BodyKind {
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
  const kind = AUDIO.test(name) ? 'voice' : 'file';
  const mimeType = IMAGE.test(name) ? 'image/*' : VIDEO.test(name) ? 'video/*' : undefined;
  return { kind, url: text, name, encrypted, preview: fileLabel({ kind, name, mimeType }, words) };
}
