// Expo's Metro defaults, plus two things. xmpp.js's @xmpp/resolve imports Node's DNS module (SRV
// lookups), which browsers and React Native do not have; the app always connects to a wss://
// address, so on iOS and Android that import resolves to an empty module, as the web build's Node
// shims already do. And libsignal's bundled crypto, which core replaces, is left out (below).
import { join } from 'node:path';
import { getDefaultConfig } from 'expo/metro-config.js';

const config = getDefaultConfig(import.meta.dirname);
const emptyOnNative = new Set(['node:dns']);
const upstream = config.resolver.resolveRequest;
// libsignal's own crypto, which core replaces with @noble before any Signal operation
// (installNobleCrypto): its curve25519 build (~110 KiB gzipped) becomes a stand-in that refuses to
// run, and msrcrypto (~50 KiB, a WebCrypto fallback required only where globalThis.crypto is
// missing) an empty module. The browser tests exercise OMEMO on exactly this bundle.
const curveStub = join(import.meta.dirname, 'src/platform/curve25519-stub.ts');
const fromLibsignal = (origin) => origin.includes('@privacyresearch/libsignal-protocol-typescript');

config.resolver.resolveRequest = (context, moduleName, platform) => {
  if (platform !== 'web' && emptyOnNative.has(moduleName)) return { type: 'empty' };
  if (moduleName === '@privacyresearch/curve25519-typescript') {
    return { type: 'sourceFile', filePath: curveStub };
  }
  if (moduleName.endsWith('/msrcrypto') && fromLibsignal(context.originModulePath)) {
    return { type: 'empty' };
  }
  return (upstream ?? context.resolveRequest)(context, moduleName, platform);
};

export default config;
