// A chat message's body is text, or a single file link (XEP-0363 upload, XEP-0454 aesgcm:// when
// encrypted): other clients send voice messages that way, and so does Hush.
export type BodyKind =
  | { readonly kind: 'text'; readonly preview: string }
  | {
      readonly kind: 'voice' | 'file';
      readonly url: string;
      readonly name: string;
      readonly encrypted: boolean;
      readonly preview: string;
    };

const AUDIO = /\.(m4a|mp4|aac|ogg|oga|opus|webm|mp3|wav)$/i;

export function describeBody(body: string): BodyKind {
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
  const encrypted = /^aesgcm:/i.test(text);
  // A plain web link that is not a file is text (shown as it is).
  if (!encrypted && !/\.[A-Za-z0-9]{2,5}$/.test(path)) return { kind: 'text', preview: body };
  if (AUDIO.test(name))
    return { kind: 'voice', url: text, name, encrypted, preview: 'Voice message' };
  return { kind: 'file', url: text, name, encrypted, preview: `File: ${name || 'unnamed'}` };
}
