// Expo's Metro defaults, plus two things. xmpp.js's @xmpp/resolve imports Node's DNS module (SRV
// lookups), which browsers and React Native do not have; the app always connects to a wss://
// address, so on iOS and Android that import resolves to an empty module, as the web build's Node
// shims already do. And libsignal's bundled crypto, which core replaces, is left out (below).
import { join } from 'node:path';
import { getDefaultConfig } from 'expo/metro-config.js';

// Production exports drop the exports nothing imports (Expo's tree shaking, with the graph
// optimisation it needs): core's index re-exports OMEMO, and only with that does the app's main chunk
// leave OMEMO to the chunk startClient loads (import()), which a first visit never fetches.
if (process.env.NODE_ENV === 'production') {
  process.env.EXPO_UNSTABLE_METRO_OPTIMIZE_GRAPH ??= '1';
  process.env.EXPO_UNSTABLE_TREE_SHAKING ??= '1';
}
const config = getDefaultConfig(import.meta.dirname);
const emptyOnNative = new Set(['node:dns']);
const upstream = config.resolver.resolveRequest;
// libsignal's own crypto, which core replaces with @noble before any Signal operation
// (installNobleCrypto): its curve25519 build (~110 KiB gzipped) becomes a stand-in that refuses to
// run, and msrcrypto (~50 KiB, a WebCrypto fallback required only where globalThis.crypto is
// missing) an empty module. The browser tests exercise OMEMO on exactly this bundle.
const curveStub = join(import.meta.dirname, 'src/platform/curve25519-stub.ts');
const fromLibsignal = (origin) => origin.includes('@privacyresearch/libsignal-protocol-typescript');
// jsQR, which only the web's QR scanner needs, loads when it first reads a frame (its own chunk).
const jsqrLazy = join(import.meta.dirname, 'src/platform/jsqr-lazy.ts');

config.resolver.resolveRequest = (context, moduleName, platform) => {
  if (platform !== 'web' && emptyOnNative.has(moduleName)) return { type: 'empty' };
  if (moduleName === '@privacyresearch/curve25519-typescript') {
    return { type: 'sourceFile', filePath: curveStub };
  }
  if (moduleName.endsWith('/msrcrypto') && fromLibsignal(context.originModulePath)) {
    return { type: 'empty' };
  }
  if (platform === 'web' && moduleName === 'jsqr' && context.originModulePath !== jsqrLazy) {
    return { type: 'sourceFile', filePath: jsqrLazy };
  }
  return (upstream ?? context.resolveRequest)(context, moduleName, platform);
};

export default config;
