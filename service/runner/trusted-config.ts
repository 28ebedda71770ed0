import type { RunnerConfig } from './config.js';
import type { RunnerGitLab } from './gitlab.js';
import { messageOf } from './run-failure.js';

// Trusted configuration comes from the default branch only (design §4). On the default branch the
// checkout is that configuration, and Claude Code loads it itself. Anywhere else (a merge request's
// source branch, which its author controls) project settings stay unloaded and the default branch's
// CLAUDE.md and .claude/settings.json are read through the API instead.

export interface TrustedConfig {
  loadProjectSettings: boolean;
  projectInstructions: string | null;
  settingsFile: string | null;
}

export async function readTrustedConfig(
  config: RunnerConfig,
  gitlab: RunnerGitLab,
  writeTempFile: (name: string, content: string) => Promise<string>,
  log: (message: string) => void,
): Promise<TrustedConfig> {
  if (config.commitRef === config.defaultBranch) return { loadProjectSettings: true, projectInstructions: null, settingsFile: null };
  try {
    const projectInstructions = await gitlab.fileOnRef(config.context.project.id, 'CLAUDE.md', config.defaultBranch);
    const settings = await gitlab.fileOnRef(config.context.project.id, '.claude/settings.json', config.defaultBranch);
    return { loadProjectSettings: false, projectInstructions, settingsFile: settings ? await writeTempFile('settings.json', settings) : null };
  } catch (error) {
    // Without them Claude Code runs with no project configuration at all: less helpful, still safe.
    log(`could not read CLAUDE.md or .claude/settings.json from ${config.defaultBranch}; going on without them: ${messageOf(error)}`);
    return { loadProjectSettings: false, projectInstructions: null, settingsFile: null };
  }
}
