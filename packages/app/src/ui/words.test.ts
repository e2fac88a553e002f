// Every word a person reads in the app goes through i18n (src/i18n): this test parses each screen
// (ui/, navigation/ and push/, .tsx and .ts, and App.tsx) with TypeScript's compiler and fails on
// text that does not.
// What counts as text: JSX text with a letter in it; and any string or template literal with a
// letter in it that is not one of the things a person never reads — a style value, a testID, an
// import path, a type, a key or an argument of t(), a code or platform name compared against.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const src = fileURLToPath(new URL('..', import.meta.url));

function screens(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return screens(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Props whose strings are shown or spoken. */
const VISIBLE_PROPS = new Set([
  'title',
  'subtitle',
  'label',
  'hint',
  'note',
  'placeholder',
  'accessibilityLabel',
  'accessibilityHint',
  'aria-label',
  'alt',
]);

/**
 * Strings that read like words but are not for people: codes the code compares against. Each is
 * listed with where it is used.
 */
const ALLOWED = new Set([
  'Enter', // KeyboardEvent.key, ChatScreen
  'Escape', // KeyboardEvent.key, navigation/shortcuts
  'NotAllowedError', // DOMException names, QrScanner.web
  'SecurityError',
  'Byte', // qrcode-generator's mode, QrCode
  'M', // QR error correction level, QrCode
  'Unencrypted', // a HushError code, MessageBubble
  'Notification', // the browser's global, push/index.web
]);

/**
 * Errors for developers, never shown: a hook outside its provider, and the platform's refusals that
 * push/controller.ts turns into a status the screen words itself.
 */
const DEVELOPER_ERRORS = new Set(['Error', 'PushDenied', 'PushUnsupported']);

const LETTER = /\p{L}/u;
/** Prose: two words, or a capitalised word. */
const PROSE = /\p{L}[\p{L}'’.,!?:;…]*\s+[\p{L}]|^\s*\p{Lu}\p{Ll}/u;

/** Syntax whose strings no one reads: modules, types, object keys, keys given to t(). */
function silent(node: ts.Node): boolean {
  const parent = node.parent;
  if (!parent) return true;
  if (ts.isImportDeclaration(parent) || ts.isExportDeclaration(parent)) return true;
  if (ts.isLiteralTypeNode(parent) || ts.isExternalModuleReference(parent)) return true;
  if (ts.isPropertyAssignment(parent) && parent.name === node) return true;
  if (ts.isJsxAttribute(parent) && !VISIBLE_PROPS.has(parent.name.getText())) return true;
  if (ts.isCallExpression(parent) && isTranslation(parent)) return true;
  if (ts.isNewExpression(parent) && DEVELOPER_ERRORS.has(parent.expression.getText())) return true;
  return inErrorConstructor(node);
}

/** Inside the constructor of a class that extends Error: its message, for developers. */
function inErrorConstructor(node: ts.Node): boolean {
  for (let at = node.parent; at; at = at.parent) {
    if (!ts.isConstructorDeclaration(at)) continue;
    const heritage = at.parent.heritageClauses ?? [];
    return heritage.some((clause) => clause.types.some((type) => type.getText() === 'Error'));
  }
  return false;
}

function isTranslation(call: ts.CallExpression): boolean {
  const callee = call.expression.getText();
  return callee === 't' || callee === 'i18n.t';
}

/**
 * Whether the value ends up shown: as JSX children, or in a visible prop, through conditionals,
 * parentheses, logical operators, concatenation and template spans.
 */
function shown(node: ts.Node): boolean {
  let current: ts.Node = node;
  for (let parent = current.parent; parent; current = parent, parent = parent.parent) {
    if (ts.isJsxAttribute(parent)) return VISIBLE_PROPS.has(parent.name.getText());
    if (ts.isJsxElement(parent) || ts.isJsxFragment(parent)) return true;
    if (ts.isJsxExpression(parent) || ts.isParenthesizedExpression(parent)) continue;
    if (ts.isConditionalExpression(parent) && parent.condition !== current) continue;
    if (ts.isTemplateSpan(parent) || ts.isTemplateExpression(parent)) continue;
    if (
      ts.isBinaryExpression(parent) &&
      [
        ts.SyntaxKind.AmpersandAmpersandToken,
        ts.SyntaxKind.BarBarToken,
        ts.SyntaxKind.QuestionQuestionToken,
        ts.SyntaxKind.PlusToken,
      ].includes(parent.operatorToken.kind)
    )
      continue;
    return false;
  }
  return false;
}

/**
 * The navigator's route names (navigation/routes.ts): identifiers the stack and links pass around,
 * never shown. Still flagged where they would be shown (a title, JSX).
 */
const ROUTE_NAMES = new Set([
  'Welcome',
  'Chats',
  'Chat',
  'Contact',
  'Add',
  'Invite',
  'Scan',
  'Settings',
]);

/** Codes in PascalCase with two or more parts (HushError codes: 'FileTooLarge'), not words. */
const CODE = /^\p{Lu}\p{Ll}+(\p{Lu}\p{Ll}*)+$/u;

function flagged(node: ts.Node, text: string): boolean {
  if (!LETTER.test(text) || ALLOWED.has(text) || CODE.test(text) || silent(node)) return false;
  if (ROUTE_NAMES.has(text)) return shown(node);
  return shown(node) || PROSE.test(text);
}

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

function findLiterals(file: string, text = readFileSync(file, 'utf8')): Finding[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: Finding[] = [];
  const report = (node: ts.Node, text: string) =>
    found.push({
      file: relative(src, file),
      line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1,
      text: text.trim(),
    });
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node)) {
      if (LETTER.test(node.text)) report(node, node.text);
    } else if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      if (flagged(node, node.text)) report(node, node.text);
    } else if (ts.isTemplateExpression(node)) {
      const parts = [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join(
        ' ',
      );
      if (flagged(node, parts)) report(node, node.getText());
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = [
  ...screens(join(src, 'ui')),
  ...screens(join(src, 'navigation')),
  // Push's setting and platforms: their words once lived in a table of their own.
  ...screens(join(src, 'push')),
  join(src, 'App.tsx'),
];

test('every screen is found', () => {
  assert.ok(files.length >= 20, `only ${files.length} files`);
});

test('no screen shows a word that does not go through i18n', () => {
  const findings = files.flatMap((file) => findLiterals(file));
  assert.deepEqual(
    findings.map((f) => `${f.file}:${f.line}: ${f.text}`),
    [],
    'these strings are shown or spoken without translation: give them a key in src/i18n/en.ts and ru.ts',
  );
});

test('the check finds what it should: JSX text, titles, labels, placeholders, template text', () => {
  const sample = join(src, 'ui', '__sample__.tsx');
  const text = `
    import { Text } from 'react-native';
    export const A = () => <Text>Hello there</Text>;
    export const B = () => <Button title="Add" onPress={go} testID="add-button" />;
    export const C = () => <Field label={'Name'} placeholder={\`Your name\`} accessibilityLabel={t('ok.key')} />;
    export const D = () => <Text>{n} · {t('x.y')}</Text>;
    export const F = () => <Header subtitle={typing ? 'typing…' : online ? 'online' : t('off')} />;
    export const G = () => <Text>{state === 'failed' ? 'Not sent' : null}</Text>;
    export const mode = kind === 'invite' ? 'login' : 'invite';
    export const e = (who: string) => \`\${who} wants to add you\`;
    const styles = StyleSheet.create({ row: { flexDirection: 'row', fontFamily: 'monospace' } });
    const words = { turnOn: 'Turn on', status: { off: 'Off' } };
    if (!granted) throw new PushUnsupported('No push service here');
    class Refused extends Error { constructor(message = 'Not allowed') { super(message); } }
  `;
  const found = findLiterals(sample, text).map((finding) => finding.text);
  assert.deepEqual(found, [
    'Hello there',
    'Add',
    'Name',
    'Your name',
    'typing…',
    'online',
    'Not sent',
    '`${who} wants to add you`',
    'Turn on',
    'Off',
  ]);
});
