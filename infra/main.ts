// The entry point `cdktf synth`/`cdktf deploy` run (see cdktf.json), and the only place that reads the
// environment or the cdktf context. Everything below it takes a typed config.
import { readFileSync } from 'node:fs';
import { App } from 'cdktf';
import { composeStacks } from './app.js';
import { ConfigError, parseConfig } from './config.js';

const DEFAULT_CONFIG = 'infra/config.json';

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError([
      `cannot read ${path}: copy infra/config.example.json to ${DEFAULT_CONFIG} and fill it in, or set INFRA_CONFIG to your config file`,
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`${path} is not valid JSON: ${(error as Error).message}`]);
  }
}

const app = new App();
const contextPath: unknown = app.node.tryGetContext('configFile');
const configPath = process.env.INFRA_CONFIG || (typeof contextPath === 'string' ? contextPath : DEFAULT_CONFIG);

try {
  composeStacks(app, parseConfig(readConfigFile(configPath)));
  app.synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Invalid infra config (${configPath}):\n${error.problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
