// Synthesizes the stacks in-process (no CLI, no files) and gives tests typed access to the Terraform JSON.
import { readFileSync } from 'node:fs';
import { Testing } from 'cdktf';
import { composeStacks } from '../../infra/app.js';
import { parseConfig, type InfraConfig } from '../../infra/config.js';

export type Json = Record<string, any>;
export interface TfJson {
  resource?: Record<string, Record<string, Json>>;
  data?: Record<string, Record<string, Json>>;
  output?: Record<string, Json>;
  provider?: Record<string, Json[]>;
  terraform?: Json;
}

export const EXAMPLE_CONFIG_PATH = 'infra/config.example.json';

export function exampleRawConfig(): Json {
  return JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Json;
}

// The example config with some fields replaced: a section's fields are merged, a plain value replaced.
export function rawConfigWith(overrides: Json = {}): Json {
  const raw = exampleRawConfig();
  for (const [key, value] of Object.entries(overrides)) {
    const isSection = value !== null && typeof value === 'object' && !Array.isArray(value);
    raw[key] = isSection ? { ...raw[key], ...value } : value;
  }
  return raw;
}

export function configWith(overrides: Json = {}): InfraConfig {
  return parseConfig(rawConfigWith(overrides));
}

export function synthStacks(config: InfraConfig = configWith()): { wif: TfJson; service: TfJson } {
  const app = Testing.app();
  const { wif, service } = composeStacks(app, config);
  return { wif: JSON.parse(Testing.synth(wif, true)) as TfJson, service: JSON.parse(Testing.synth(service, true)) as TfJson };
}

export function resourcesOf(json: TfJson, type: string): Json[] {
  return Object.values(json.resource?.[type] ?? {});
}

export function onlyResource(json: TfJson, type: string): Json {
  const found = resourcesOf(json, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
}

// The Terraform address of the resource of `type` whose properties include `match`.
export function addressOf(json: TfJson, type: string, match: (body: Json) => boolean): string {
  const entries = Object.entries(json.resource?.[type] ?? {}).filter(([, body]) => match(body));
  if (entries.length !== 1) throw new Error(`expected one matching ${type}, found ${entries.length}`);
  return `${type}.${entries[0]![0]}`;
}
