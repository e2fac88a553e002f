// The languages the app speaks, and which one a person's preferences pick. Pure: tests use it.
export const languages = ['en', 'ru'] as const;
export type Language = (typeof languages)[number];

export const isLanguage = (code: string): code is Language =>
  (languages as readonly string[]).includes(code);

/** The first of the person's preferred languages (device or browser) that the app speaks. */
export function preferredLanguage(tags: readonly (string | null | undefined)[]): Language {
  for (const tag of tags) {
    const code = tag?.toLowerCase().split(/[-_]/)[0] ?? '';
    if (isLanguage(code)) return code;
  }
  return 'en';
}
