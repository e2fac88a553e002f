// Accessibility checks in the browser suites: axe-core run on the page as it is shown, WCAG 2.1
// A and AA rules and axe's best practices. The app's Content-Security-Policy forbids adding a script
// to the page; page.evaluate runs from outside it (the DevTools protocol), so axe is put there so.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

export interface Violation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  /** CSS selectors of the elements at fault, and axe's summary of each. */
  readonly nodes: readonly string[];
}

/** What axe finds wrong on `page` now; a suite expects none. */
export async function accessibilityViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axeSource);
  // A string: the page's globals (window, axe) are not this file's.
  const found = (await page.evaluate(`(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ${JSON.stringify(TAGS)} },
      resultTypes: ['violations'],
    });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact ?? null,
      help: violation.help,
      nodes: violation.nodes.map((node) =>
        (node.target.join(' ') + ': ' + (node.failureSummary ?? '')).slice(0, 400),
      ),
    }));
  })()`)) as Violation[];
  return found;
}
