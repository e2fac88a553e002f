// RFC 4013 SASLprep, its mapping and normalisation steps: non-ASCII spaces become U+0020, "commonly
// mapped to nothing" characters go, then NFKC. Prohibited-character and bidi checks are left out: a
// password that contains them only fails to log in, as the server applies the full profile.
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g;
// Code points, not a character class: several are combining marks, which a regex class would pair
// with their neighbours.
const MAPPED_TO_NOTHING = new Set([
  0x00ad,
  0x034f,
  0x1806,
  0x180b,
  0x180c,
  0x180d,
  0x200b,
  0x200c,
  0x200d,
  0x2060,
  0xfeff,
  ...Array.from({ length: 16 }, (_, i) => 0xfe00 + i),
]);
/** The password and user name as SCRAM hashes them. */
export function saslPrep(text: string): string {
  const mapped = Array.from(text.replace(NON_ASCII_SPACE, ' '))
    .filter((char) => !MAPPED_TO_NOTHING.has(char.codePointAt(0) ?? 0))
    .join('');
  return mapped.normalize('NFKC');
}
