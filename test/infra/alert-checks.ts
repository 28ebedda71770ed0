// Predicates over the synthesized alerts, in the style of security-checks.ts: each returns the problems it
// finds, so a test shows the real output passes and a mutated copy fails.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json, TfJson } from './helpers.js';

/** Every TypeScript source under `dir`, by path. */
export function sourcesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) {
      const path = join(entry.parentPath, entry.name);
      files.set(path, readFileSync(path, 'utf8'));
    }
  }
  return files;
}

/** The exact messages a Logging filter matches on (`jsonPayload.message="..."`). */
export function messagesOf(filter: string): string[] {
  return [...filter.matchAll(/jsonPayload\.message=("(?:[^"\\]|\\.)*")/g)].map(
    (match) => JSON.parse(match[1]!) as string,
  );
}

function isLiteralIn(message: string, source: string): boolean {
  return [`'${message}'`, `"${message}"`, `\`${message}\``].some((literal) => source.includes(literal));
}

// A metric that counts a message nobody logs counts nothing, silently.
export function unloggedMessageProblems(json: TfJson, sources: Map<string, string>): string[] {
  return Object.entries(json.resource?.google_logging_metric ?? {}).flatMap(([name, body]: [string, Json]) => {
    const messages = messagesOf(String(body.filter));
    if (messages.length === 0) return [`${name}: its filter names no jsonPayload.message`];
    return messages
      .filter((message) => ![...sources.values()].some((source) => isLiteralIn(message, source)))
      .map((message) => `${name}: no log line in service/ says ${JSON.stringify(message)}`);
  });
}

// Each alert condition on a user metric must name one this stack creates (by reference, so Terraform
// creates the metric first).
export function policyReferenceProblems(json: TfJson): string[] {
  const metrics = Object.keys(json.resource?.google_logging_metric ?? {});
  return Object.entries(json.resource?.google_monitoring_alert_policy ?? {}).flatMap(([name, body]: [string, Json]) =>
    (body.conditions as Json[]).flatMap((condition) => {
      const filter = String(condition.condition_threshold?.filter ?? '');
      if (!filter.includes('logging.googleapis.com/user/')) return [];
      const referenced = metrics.some((metric) =>
        filter.includes(`logging.googleapis.com/user/\${google_logging_metric.${metric}.name}"`),
      );
      return referenced ? [] : [`${name}: condition ${condition.display_name} names no log-based metric of this stack`];
    }),
  );
}
