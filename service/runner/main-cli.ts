// Stand-alone entry for the runner (`node --import tsx service/runner/main-cli.ts run`), as
// `claude-gitlab-flow run` calls it: tests and local runs use this until and besides service/cli.ts.
import { main } from './main.js';

const args = process.argv.slice(2);
if (args[0] === 'run') args.shift();
process.exitCode = await main(args, process.env);
