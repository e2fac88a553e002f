// Stands in for @privacyresearch/curve25519-typescript in the app's bundles (metro.config.mjs).
// libsignal imports that package at load time for its default curve: an Emscripten build of
// curve25519-donna, ~110 KiB gzipped. Core replaces the curve with @noble's before any Signal
// operation (installNobleCrypto, called by the Omemo constructor), so that code would never run;
// this stand-in keeps the shape libsignal touches while loading and refuses loudly if it were used.
const replaced = () =>
  new Error('curve25519-typescript is not bundled: core installs the @noble curve first.');

/** libsignal only calls its static create(). */
export const Curve25519Wrapper = {
  create: (): Promise<never> => Promise.reject(replaced()),
};

export class AsyncCurve25519Wrapper {
  keyPair(): Promise<never> {
    return Promise.reject(replaced());
  }
  sharedSecret(): Promise<never> {
    return Promise.reject(replaced());
  }
  sign(): Promise<never> {
    return Promise.reject(replaced());
  }
  verify(): Promise<never> {
    return Promise.reject(replaced());
  }
}
