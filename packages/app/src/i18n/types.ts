// The shape every language's words must have: the English keys, each plural once under its base
// name with the forms its own language needs (checked by i18n.test.ts).
import type { en } from './en.ts';

type Plural = `${string}_${'zero' | 'one' | 'two' | 'few' | 'many' | 'other'}`;

type Section<S> = {
  [K in keyof S as K extends Plural ? never : K]: S[K] extends string ? string : Section<S[K]>;
} & { readonly [plural: Plural]: string };

export type Translation = Section<typeof en>;
