/** A source of cryptographically secure random bytes (injected in tests, WebCrypto otherwise). */
export type RandomBytes = (length: number) => Uint8Array;
