// The component tests' waits, set here rather than left to Jest's and Testing Library's defaults
// (5 s per test, 1 s per findBy/waitFor), which a loaded machine can overrun while nothing is wrong.
// They bound a failure; a passing test takes as long as its renders do.
import { configure } from '@testing-library/react-native';

/** How long a findBy*, waitFor or waitForElementToBeRemoved waits for what it looks for. */
export const WAIT_MS = 15_000;

configure({ asyncUtilTimeout: WAIT_MS });
