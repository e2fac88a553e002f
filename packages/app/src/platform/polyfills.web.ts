// Browsers bring WebCrypto and a complete TextDecoder: nothing to add (see polyfills.native.ts).
export {};
