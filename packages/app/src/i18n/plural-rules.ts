// Intl.PluralRules for the app's languages where the JavaScript engine has none (Hermes on some
// React Native versions has Intl without it): i18next picks a plural form with it, and without it
// every Russian count would take one form. Browsers and Node have their own, which is kept.
// Rules from CLDR (https://www.unicode.org/cldr/charts/latest/supplemental/language_plural_rules.html).

type Category = 'one' | 'few' | 'many' | 'other';

function russian(n: number): Category {
  if (!Number.isInteger(n)) return 'other';
  const mod10 = Math.abs(n) % 10;
  const mod100 = Math.abs(n) % 100;
  if (mod10 === 1 && mod100 !== 11) return 'one';
  if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return 'few';
  return 'many';
}

function english(n: number): Category {
  return n === 1 ? 'one' : 'other';
}

/** The cardinal plural category of `n` in `language` ('en' or 'ru'; others as English). */
export function pluralCategory(language: string, n: number): Category {
  return language.toLowerCase().startsWith('ru') ? russian(n) : english(n);
}

class PluralRules {
  private readonly language: string;
  constructor(locales?: string | readonly string[]) {
    const first = Array.isArray(locales) ? locales[0] : locales;
    this.language = typeof first === 'string' ? first : 'en';
  }
  select(n: number): Category {
    return pluralCategory(this.language, n);
  }
  resolvedOptions() {
    const ru = this.language.toLowerCase().startsWith('ru');
    return {
      locale: ru ? 'ru' : 'en',
      pluralCategories: ru ? ['one', 'few', 'many', 'other'] : ['one', 'other'],
      type: 'cardinal',
    };
  }
}

/** Installs the rules above when the engine has no Intl.PluralRules. */
export function ensurePluralRules(): void {
  const intl = globalThis.Intl as unknown as Record<string, unknown> | undefined;
  if (intl && typeof intl.PluralRules === 'function') return;
  if (!intl) return;
  intl.PluralRules = PluralRules;
}
