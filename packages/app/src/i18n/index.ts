// The app's languages (English, Russian) through i18next: the device's or browser's preferred
// languages pick one, English otherwise. Screens translate with useTranslation() (react-i18next);
// helpers outside components use `i18n.t`. Dates and times go through Intl in the same language.
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { getLocales } from 'expo-localization';
import { en } from './en';
import { ru } from './ru';
import { ensurePluralRules } from './plural-rules';
import { isLanguage, languages, preferredLanguage, type Language } from './languages';
import { setCurrentWords } from './current';

export { languages, preferredLanguage, type Language } from './languages';

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: typeof en };
  }
}

function deviceLanguage(): Language {
  try {
    return preferredLanguage(getLocales().map((locale) => locale.languageTag));
  } catch {
    // No locale module (a test environment without it): English.
    return 'en';
  }
}

ensurePluralRules();

export const i18n = i18next.createInstance();
void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, ru: { translation: ru } },
  lng: deviceLanguage(),
  fallbackLng: 'en',
  supportedLngs: languages,
  interpolation: { escapeValue: false },
  initAsync: false,
});

// A browser tells the page when its preferred languages change; follow them.
const page = globalThis as { addEventListener?: (type: string, listener: () => void) => void };
if (typeof page.addEventListener === 'function' && typeof globalThis.navigator === 'object') {
  page.addEventListener('languagechange', () => void i18n.changeLanguage(deviceLanguage()));
}

/** The language the app speaks now, for Intl. */
export const currentLanguage = (): Language => (isLanguage(i18n.language) ? i18n.language : 'en');

// Code outside React (the notifier, the recorder) reads the same language's words.
setCurrentWords(currentLanguage());
i18n.on('languageChanged', () => setCurrentWords(currentLanguage()));

/** A message's time: hours and minutes today, the date (and year if not this one) otherwise. */
export function formatTime(timestamp: number, now = Date.now()): string {
  const date = new Date(timestamp);
  const today = new Date(now);
  const language = currentLanguage();
  if (today.toDateString() === date.toDateString()) {
    return new Intl.DateTimeFormat(language, { hour: 'numeric', minute: '2-digit' }).format(date);
  }
  return new Intl.DateTimeFormat(language, {
    day: 'numeric',
    month: 'short',
    ...(today.getFullYear() === date.getFullYear() ? {} : { year: 'numeric' }),
  }).format(date);
}

/**
 * A file's size in the app's language: "12 KB", "3.4 MB". A limit (`whole`) drops a needless
 * fraction: "at most 10 MB", not "10.0 MB".
 */
export function formatSize(bytes: number, options: { whole?: boolean } = {}): string {
  const language = currentLanguage();
  if (bytes < 1024 * 1024) {
    const count = Math.max(1, Math.round(bytes / 1024));
    return i18n.t('file.kb', { count: new Intl.NumberFormat(language).format(count) });
  }
  const megabytes = new Intl.NumberFormat(language, {
    minimumFractionDigits: options.whole ? 0 : 1,
    maximumFractionDigits: 1,
  }).format(bytes / 1024 / 1024);
  return i18n.t('file.mb', { count: megabytes });
}

/** The words for files' labels (ui/message-kind.ts), in the app's language. */
export const fileWords = () => ({
  voice: i18n.t('file.voice'),
  voiceWithLength: i18n.t('file.voiceWithLength', { length: '{{length}}' }),
  photo: i18n.t('file.photo'),
  video: i18n.t('file.video'),
  file: i18n.t('file.file'),
});

// Screens take the hook from here, so that importing any of them sets the languages up.
export { useTranslation } from 'react-i18next';
