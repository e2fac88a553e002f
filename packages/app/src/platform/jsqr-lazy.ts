// jsQR (~127 KB of the web bundle as exported) in a chunk of its own, fetched the first time the
// QR scanner reads a frame instead of with the app: metro.config.mjs resolves the scanner's 'jsqr'
// here. Until the chunk is there a frame reads as no code; the scanner reads the next one 150 ms
// later anyway.
import type jsQRType from 'jsqr';

type JsQr = typeof jsQRType;

let decoder: JsQr | undefined;
let loading: Promise<unknown> | undefined;

export default function jsQR(...args: Parameters<JsQr>): ReturnType<JsQr> {
  if (decoder) return decoder(...args);
  loading ??= import('jsqr').then(
    (module) => (decoder = module.default),
    () => (loading = undefined),
  );
  return null;
}
