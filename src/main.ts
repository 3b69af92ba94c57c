// Composition root: the only module that reads process.argv (DESIGN.md §2).
import { runCli } from './cli/index.js';

process.exitCode = await runCli(process.argv.slice(2));
