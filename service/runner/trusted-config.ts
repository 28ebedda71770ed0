import { z } from 'zod';
import type { RunnerConfig } from './config.js';
import type { RunnerGitLab } from './gitlab.js';
import { REVIEW_INSTRUCTIONS_PATH } from './review/review-mode.js';
import { messageOf } from './run-failure.js';

// Trusted configuration comes from the default branch only, read through the API, whatever the job
// checked out: the workspace may be a merge request's branch, whose author controls every file in it.
// - CLAUDE.md goes into the system prompt; .claude/settings.json is handed to Claude Code with --settings.
// - .gitlab/claude/flow.json holds claude-gitlab-flow's own project settings: which protected paths
//   Claude may change after all (`allowedChangePaths`, globs).
// - The CI configuration (CI_CONFIG_PATH) names the files it includes locally: protected too.
// - .gitlab/claude/review.md: the project's instructions for reviews, added to a review's system prompt.

export const FLOW_SETTINGS_PATH = '.gitlab/claude/flow.json';

const flowSettingsSchema = z.object({ allowedChangePaths: z.array(z.string().min(1)).max(100).default([]) }).passthrough();

export interface TrustedConfig {
  projectInstructions: string | null;
  /** The default branch's `.claude/settings.json` text, or null. */
  claudeSettings: string | null;
  allowedChangePaths: string[];
  /** The default branch's CI configuration, to find its local includes. */
  ciConfig: string | null;
  /** The default branch's `.gitlab/claude/review.md`, or null. */
  reviewInstructions: string | null;
}

export const NO_TRUSTED_CONFIG: TrustedConfig = { projectInstructions: null, claudeSettings: null, allowedChangePaths: [], ciConfig: null, reviewInstructions: null };

export function parseFlowSettings(text: string | null): { allowedChangePaths: string[]; error: string | null } {
  if (!text) return { allowedChangePaths: [], error: null };
  try {
    const parsed = flowSettingsSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { allowedChangePaths: parsed.data.allowedChangePaths, error: null };
    return { allowedChangePaths: [], error: `${FLOW_SETTINGS_PATH}: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  } catch {
    return { allowedChangePaths: [], error: `${FLOW_SETTINGS_PATH} is not valid JSON` };
  }
}

/** `review`: the run is a review, so its instructions are read too. */
export async function readTrustedConfig(config: RunnerConfig, gitlab: RunnerGitLab, log: (message: string) => void, review = false): Promise<TrustedConfig> {
  const read = (path: string) => gitlab.fileOnRef(config.projectId, path, config.defaultBranch);
  try {
    const [projectInstructions, claudeSettings, flowSettings, ciConfig, reviewInstructions] = await Promise.all([
      read('CLAUDE.md'),
      read('.claude/settings.json'),
      read(FLOW_SETTINGS_PATH),
      read(config.ciConfigPath),
      review ? read(REVIEW_INSTRUCTIONS_PATH) : Promise.resolve(null),
    ]);
    const flow = parseFlowSettings(flowSettings);
    if (flow.error) log(`ignoring ${flow.error}`);
    return { projectInstructions, claudeSettings, allowedChangePaths: flow.allowedChangePaths, ciConfig, reviewInstructions };
  } catch (error) {
    // Without them Claude Code runs with no project configuration and nothing protected is allowed: less helpful, still safe.
    log(`could not read the trusted configuration from ${config.defaultBranch}; going on without it: ${messageOf(error)}`);
    return NO_TRUSTED_CONFIG;
  }
}
