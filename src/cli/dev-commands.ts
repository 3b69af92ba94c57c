// The test bed's subcommands (`sim`, `demo`), loaded by index.ts from the sources only: this file and
// what it imports (src/envtest, the demo) are outside the production build's import closure, so they are
// in neither dist/, the npm package nor the image.
import { demoMain } from './demo.js';
import type { DevCommandsModule } from './index.js';
import { simMain } from './sim.js';

/** Each test-bed subcommand's main, by the name index.ts dispatches. */
export const DEV_COMMANDS = {
  sim: simMain,
  demo: demoMain,
} satisfies DevCommandsModule['DEV_COMMANDS'];
