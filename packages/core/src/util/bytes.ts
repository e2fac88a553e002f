// The one home of joining byte arrays, for every layer (OMEMO's keys and signatures, voice
// containers).

/** `parts` joined, in order, into one new array. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  return joinBytes(parts);
}

/** The arrays of `pieces` joined into one new array (for lists too long to spread). */
export function joinBytes(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}
