// Titles for the typed errors core reports, in the app's language; the detail line is the error's
// own message, left out when it only says the title again in other words.
import {
  FileTooLargeError,
  QuotaExceededError,
  VoiceTooLongError,
  type HushError,
  type HushErrorCode,
} from '@hush/core';
import { en } from '../i18n/en';
import { formatSize, formatTime, i18n } from '../i18n';
import { formatDuration } from './message-kind';

// One title for every error code: the compiler fails on a code without one.
const TITLES: Record<HushErrorCode, string> = en.error;

const titled = (code: HushErrorCode): code is HushErrorCode & keyof typeof en.error =>
  code in TITLES;

export function errorTitle(error: HushError): string {
  return titled(error.code) ? i18n.t(`error.${error.code}`) : i18n.t('error.generic');
}

/**
 * Why a message failed, in the app's language: core's own words in English (written for people,
 * with the detail), the error's title in another language; a server's condition without a title
 * keeps the server's words.
 */
export function failureReason(failure: {
  readonly code: string;
  readonly message: string;
}): string {
  if (i18n.language.startsWith('en') || !(failure.code in TITLES)) return failure.message;
  return i18n.t(`error.${failure.code as HushErrorCode}`);
}

const words = (text: string) =>
  new Set(
    text
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((word) => word.length > 2),
  );

/**
 * Whether the error's message says no more than its title (in English, the language core writes):
 * nearly all of its words are the title's ("This invite has already been used or has expired." under
 * "This invite was already used or has expired").
 */
export function repeatsTitle(error: HushError): boolean {
  const english = titled(error.code) ? en.error[error.code] : en.error.generic;
  const title = words(english);
  const message = [...words(error.message)];
  if (message.length === 0) return true;
  const shared = message.filter((word) => title.has(word)).length;
  return shared / message.length >= 0.75;
}

/**
 * What the error knows that helps the person, in the app's language: the limit a file or a
 * recording went over ("At most 10 MB per file"), when uploads work again; undefined when it
 * knows nothing to say.
 */
export function errorFacts(error: HushError): string | undefined {
  if (error instanceof FileTooLargeError && error.limit !== undefined) {
    const limit = formatSize(error.limit, { whole: true });
    // Under 1 MB apart, both sizes read the same ("10 MB"): the size then says nothing.
    return error.size === undefined || formatSize(error.size) === formatSize(error.limit)
      ? i18n.t('errorFacts.fileLimit', { limit })
      : i18n.t('errorFacts.fileSizeAndLimit', { size: formatSize(error.size), limit });
  }
  if (error instanceof VoiceTooLongError) {
    return i18n.t('errorFacts.voiceLength', {
      length: formatDuration(error.durationMs / 1000),
      limit: formatDuration(error.limitMs / 1000),
    });
  }
  if (error instanceof QuotaExceededError && error.retryAt) {
    return i18n.t('errorFacts.quotaRetry', { time: formatTime(error.retryAt.getTime()) });
  }
  return undefined;
}

/**
 * The line under an error's title: what it knows (errorFacts) in the app's language, else its own
 * message where that says more than the title (showsDetail).
 */
export function errorDetail(error: HushError): string | undefined {
  return errorFacts(error) ?? (showsDetail(error) ? error.message : undefined);
}

/**
 * Whether the error's own message shows under its title: in English when it says more than the
 * title; in another language only for an error without a title of its own (core writes English, and
 * a Russian title over an English sentence reads as a fault).
 */
export function showsDetail(error: HushError): boolean {
  if (!i18n.language.startsWith('en')) return !titled(error.code);
  return !repeatsTitle(error);
}
