// The words of the language the app speaks now, for code that runs outside React and i18next (the
// notifier, the recorder's notices): pure, so Node tests use it too. index.ts keeps it in step
// with i18next's language; English until told otherwise.
import { en } from './en.ts';
import { ru } from './ru.ts';
import type { Language } from './languages.ts';
import type { Translation } from './types.ts';

const words: Record<Language, Translation> = { en, ru };
let language: Language = 'en';

export function setCurrentWords(next: Language): void {
  language = next;
}

export const currentWords = (): Translation => words[language];

/** `template` with each {{name}} replaced by `values[name]`. */
export function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => values[name] ?? whole);
}
