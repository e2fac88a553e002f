// Where a platform installs X25519 in native code with a synchronous interface (the CLI installs
// node:crypto's), for webcrypto-curve.ts to use before WebCrypto. Kept apart from the curve code so
// that installing it at start-up loads nothing of OMEMO.

/** X25519 in native code with a synchronous interface. */
export interface NativeX25519 {
  /** The public key of a clamped private key. */
  publicKey(privateKey: Uint8Array): Uint8Array;
  /** The shared secret; may throw or answer all zeros for a small-order public key. */
  agree(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
}

let installed: NativeX25519 | undefined;

/**
 * Makes `native` the X25519 of the OMEMO curve backends made from now on, once it has given RFC
 * 7748's known answers (else it is not used); `undefined` removes it.
 */
export function installNativeX25519(native: NativeX25519 | undefined): void {
  installed = native;
}

export function installedNativeX25519(): NativeX25519 | undefined {
  return installed;
}
