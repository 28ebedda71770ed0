import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { canReadCode, findProject } from '../access.js';
import { mergeConfig, mergedYaml } from '../ci/merge-config.js';
import { forbidden, notFound } from '../http/errors.js';
import { ParamCheck } from '../http/params.js';
import { json, type Router } from '../http/router.js';
import { findCommit, refsOf } from '../repo/refs.js';
import type { Commit, Project } from '../types.js';

// GET /projects/:id/ci/lint (https://docs.gitlab.com/api/lint/#validate-a-projects-ci-configuration;
// lib/api/lint.rb): the .gitlab-ci.yml of `content_ref` (default: the default branch's head), validated
// and merged with its includes. Static check only: `dry_run` is accepted and changes nothing here.

const run = promisify(execFile);
const CI_CONFIG_PATH = '.gitlab-ci.yml';

export function registerCiLintRoutes(router: Router): void {
  router.get('/projects/:id/ci/lint', async (ctx) => {
    const check = new ParamCheck(ctx.params);
    const contentRef = check.optionalString('content_ref');
    const sha = check.optionalString('sha');
    check.optionalBoolean('dry_run');
    check.optionalBoolean('include_jobs');
    if (contentRef !== undefined && sha !== undefined) check.add('sha, content_ref are mutually exclusive');
    check.done();
    const { state } = ctx.services;
    const project = findProject(state, ctx.pathParams.id as string, ctx.user);
    if (!canReadCode(project, ctx.user)) throw forbidden(); // authorize_read_code!
    const refs = await refsOf(project);
    if (refs.branches.size === 0) throw notFound('Repository');
    const commit = await findCommit(project, contentRef ?? sha ?? project.defaultBranch);
    if (!commit) throw notFound('Commit');
    const ref = contentRef ?? sha ?? project.defaultBranch;
    const result = await mergeConfig(await readFile(project, ref, commit, CI_CONFIG_PATH), {
      remote: (url) => state.remoteFiles.get(url),
      local: (path) => readFile(project, ref, commit, path),
    });
    // lib/api/entities/ci/lint/result.rb
    return json(
      200,
      result.valid
        ? { valid: true, errors: [], warnings: [], merged_yaml: mergedYaml(result.merged), includes: [] }
        : { valid: false, errors: result.errors, warnings: [], merged_yaml: null, includes: null },
    );
  });
}

/** A file at a commit: from the bare repository, or the seeded .gitlab-ci.yml of the branch. */
async function readFile(project: Project, ref: string, commit: Commit, path: string): Promise<string | undefined> {
  if (project.bareRepoPath) {
    try {
      const { stdout } = await run('git', ['--git-dir', project.bareRepoPath, 'show', `${commit.sha}:${path}`]);
      return stdout;
    } catch {
      return undefined;
    }
  }
  return path === CI_CONFIG_PATH ? project.ciConfigs.get(ref) ?? seededByCommit(project, commit) : undefined;
}

function seededByCommit(project: Project, commit: Commit): string | undefined {
  for (const [branch, sha] of project.branches) if (sha === commit.sha) return project.ciConfigs.get(branch);
  return undefined;
}
