// The languages' words: Russian has every English key, each plural in the forms Russian needs and
// no more, the same {{placeholders}}; the plural rules used where the engine has none agree with
// CLDR's (Node's Intl); a person's preferred languages pick the app's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { en } from './en.ts';
import { ru } from './ru.ts';
import { pluralCategory } from './plural-rules.ts';
import { preferredLanguage } from './languages.ts';

type Tree = { readonly [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    if (typeof value === 'string') out.set(prefix + key, value);
    else for (const [k, v] of flatten(value, `${prefix}${key}.`)) out.set(k, v);
  }
  return out;
}

const PLURAL = /_(zero|one|two|few|many|other)$/;
const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)[,}]/g)].map((m) => m[1]).sort();

/** Keys with plural forms grouped under their base key; the rest as they are. */
function grouped(words: Map<string, string>) {
  const plain = new Map<string, string>();
  const plurals = new Map<string, Map<string, string>>();
  for (const [key, value] of words) {
    const match = PLURAL.exec(key);
    if (!match) plain.set(key, value);
    else {
      const base = key.slice(0, match.index);
      const forms = plurals.get(base) ?? new Map<string, string>();
      forms.set(match[1] ?? '', value);
      plurals.set(base, forms);
    }
  }
  return { plain, plurals };
}

const english = grouped(flatten(en));
const russian = grouped(flatten(ru as unknown as Tree));

test('Russian has every English key and no other, with the same placeholders', () => {
  assert.deepEqual([...russian.plain.keys()].sort(), [...english.plain.keys()].sort());
  for (const [key, text] of english.plain) {
    assert.deepEqual(placeholders(russian.plain.get(key) ?? ''), placeholders(text), key);
    assert.notEqual(russian.plain.get(key)?.trim(), '', key);
  }
});

test('each plural has the forms its language names, and says the count', () => {
  const needs = (language: string) =>
    new Intl.PluralRules(language).resolvedOptions().pluralCategories.slice().sort();
  assert.deepEqual([...russian.plurals.keys()].sort(), [...english.plurals.keys()].sort());
  for (const [language, words] of [
    ['en', english],
    ['ru', russian],
  ] as const) {
    for (const [key, forms] of words.plurals) {
      assert.deepEqual([...forms.keys()].sort(), needs(language), `${language} ${key}`);
      for (const text of forms.values()) assert.match(text, /\{\{count[,}]/, `${language} ${key}`);
    }
  }
  assert.deepEqual(needs('ru'), ['few', 'many', 'one', 'other']);
});

test('the fallback plural rules agree with CLDR for English and Russian', () => {
  for (const language of ['en', 'ru']) {
    const rules = new Intl.PluralRules(language);
    for (let n = 0; n <= 250; n += 1)
      assert.equal(pluralCategory(language, n), rules.select(n), `${language} ${n}`);
    assert.equal(pluralCategory(language, 1.5), rules.select(1.5), `${language} 1.5`);
  }
  assert.equal(pluralCategory('ru', 21), 'one');
  assert.equal(pluralCategory('ru', 22), 'few');
  assert.equal(pluralCategory('ru', 25), 'many');
  assert.equal(pluralCategory('ru', 111), 'many');
});

test("a person's preferred languages pick the app's; English when none is spoken", () => {
  assert.equal(preferredLanguage(['ru-RU', 'en-US']), 'ru');
  assert.equal(preferredLanguage(['de-DE', 'ru']), 'ru');
  assert.equal(preferredLanguage(['en-GB', 'ru-RU']), 'en');
  assert.equal(preferredLanguage(['RU_ru']), 'ru');
  assert.equal(preferredLanguage(['fr-FR']), 'en');
  assert.equal(preferredLanguage([null, undefined]), 'en');
  assert.equal(preferredLanguage([]), 'en');
});
