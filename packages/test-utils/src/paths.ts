import { fileURLToPath } from 'node:url';

/** The repository's root folder, for the server template and deployment scripts. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
