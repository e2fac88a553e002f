// Expo's Metro defaults, plus one thing React Native lacks: xmpp.js's @xmpp/resolve imports Node's
// DNS module (SRV lookups), which browsers and React Native do not have. The app always connects to
// a wss:// address, so on iOS and Android that import resolves to an empty module, as the web
// build's Node shims already do.
import { getDefaultConfig } from 'expo/metro-config';

const config = getDefaultConfig(import.meta.dirname);
const emptyOnNative = new Set(['node:dns']);
const upstream = config.resolver.resolveRequest;

config.resolver.resolveRequest = (context, moduleName, platform) => {
  if (platform !== 'web' && emptyOnNative.has(moduleName)) return { type: 'empty' };
  return (upstream ?? context.resolveRequest)(context, moduleName, platform);
};

export default config;
