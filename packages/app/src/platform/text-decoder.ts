// Expo's runtime replaces TextDecoder with one that knows only UTF-8 and throws for any other label.
// The OMEMO curve library (an emscripten build inside @privacyresearch/curve25519-typescript) makes a
// TextDecoder('utf-16le') when it loads, so importing core would crash the app at start-up. This
// keeps the platform's decoder for everything else and adds the UTF-16LE the library asks for.
type Decoder = { readonly encoding: string; decode(input?: ArrayBufferView | ArrayBuffer): string };
type DecoderClass = new (label?: string, options?: { fatal?: boolean }) => Decoder;

const holder = globalThis as { TextDecoder?: DecoderClass };
const Platform = holder.TextDecoder;

function accepts(label: string): boolean {
  try {
    if (!Platform) return false;
    new Platform(label);
    return true;
  } catch {
    return false;
  }
}

if (Platform && !accepts('utf-16le')) {
  class Utf16LeDecoder implements Decoder {
    readonly encoding = 'utf-16le';
    decode(input?: ArrayBufferView | ArrayBuffer): string {
      if (!input) return '';
      const bytes = ArrayBuffer.isView(input)
        ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
        : new Uint8Array(input);
      const units = new Uint16Array(bytes.length >> 1);
      for (let i = 0; i < units.length; i++)
        units[i] = (bytes[2 * i] ?? 0) | ((bytes[2 * i + 1] ?? 0) << 8);
      let text = '';
      for (let i = 0; i < units.length; i += 4096) {
        text += String.fromCharCode(...units.subarray(i, i + 4096));
      }
      return text;
    }
  }
  const Wrapped = function TextDecoder(label = 'utf-8', options?: { fatal?: boolean }): Decoder {
    return /^utf-?16(le)?$/i.test(label.trim())
      ? new Utf16LeDecoder()
      : new Platform(label, options);
  } as unknown as DecoderClass;
  holder.TextDecoder = Wrapped;
}

export {};
