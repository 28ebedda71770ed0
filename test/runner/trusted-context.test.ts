import { describe, expect, it } from 'vitest';
import type { FlowContextV1 } from '../../service/domain.js';
import type { NoteableDetails } from '../../service/runner/gitlab.js';
import type { ApiNote } from '../../service/runner/gitlab-types.js';
import { chooseInstruction, trustedContext } from '../../service/runner/trusted-context.js';
import { agentEnvironment } from '../../service/runner/agent-env.js';
import { chooseAgentIdentity, lookUpUser } from '../../service/runner/workspace/identity.js';
import { adviseDenials, bashRule } from '../../service/runner/denials.js';

const context: FlowContextV1 = {
  version: 1,
  gitlab_url: 'https://evil.example',
  project: { id: 7, path: 'forged/path', default_branch: 'forged' },
  noteable: { type: 'MergeRequest', iid: 3, title: 'Crash in glpat-expanded-token', url: 'https://evil.example/x', state: 'opened', source_branch: 'protected-release', target_branch: 'main', source_project_id: 7, fork: false, commit_sha: null },
  discussion_id: 'd1',
  trigger_note_ids: [11, 12],
  tracking_note_id: 13,
  author: { id: 5, username: 'dana' },
  triggered_at: '2026-12-03T10:00:00Z',
  position: null,
};
const details: NoteableDetails = { title: 'Crash in ${GITLAB_TOKEN}', description: 'd', webUrl: 'https://gitlab.example.com/g/p/-/merge_requests/3', state: 'opened', confidential: false, mergeRequest: { sourceBranch: 'feature', targetBranch: 'main', sourceProjectId: 99, headSha: null } };
const note = (id: number, authorId: number, body: string, updatedAt = '2026-12-03T09:59:00Z'): ApiNote => ({ id, type: 'DiscussionNote', body, author: { id: authorId, username: authorId === 5 ? 'dana' : 'bob' }, created_at: '2026-12-03T09:58:00Z', updated_at: updatedAt, system: false });

describe('the trusted context', () => {
  it('keeps the context\'s ids and takes every string from the API and the job', () => {
    const trusted = trustedContext(context, details, [note(11, 6, 'x'), note(12, 5, 'y')], { serverUrl: 'https://gitlab.example.com', projectPath: 'group/project', defaultBranch: 'main' });
    expect(trusted).toMatchObject({
      gitlab_url: 'https://gitlab.example.com',
      project: { id: 7, path: 'group/project', default_branch: 'main' },
      noteable: { type: 'MergeRequest', iid: 3, title: 'Crash in ${GITLAB_TOKEN}', source_branch: 'feature', source_project_id: 99, fork: true, url: details.webUrl },
      author: { id: 5, username: 'dana' },
      tracking_note_id: 13,
    });
  });
});

describe('the instruction', () => {
  it('comes from the trigger notes as GitLab has them, in order', () => {
    expect(chooseInstruction(context, [note(11, 6, '@claude look'), note(12, 5, '@claude and fix ${GITLAB_TOKEN}')], 'expanded glpat-x')).toEqual({ from: 'notes', text: '@claude look\n\n@claude and fix ${GITLAB_TOKEN}' });
  });

  it('falls back to AI_FLOW_INPUT when a note is missing, edited after the trigger, or the last is someone else\'s', () => {
    expect(chooseInstruction(context, [note(12, 5, 'y')], 'input')).toMatchObject({ from: 'variable', text: 'input', reason: 'a trigger note could not be read' });
    expect(chooseInstruction(context, [note(11, 5, 'x'), note(12, 5, 'y', '2026-12-03T10:05:00Z')], 'input')).toMatchObject({ from: 'variable', reason: 'note 12 was edited after the trigger' });
    expect(chooseInstruction(context, [note(11, 5, 'x'), note(12, 6, 'y')], 'input')).toMatchObject({ from: 'variable', reason: 'note 12 is by someone else' });
  });
});

describe('who the agent runs as', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nclaude-agent:x:10001:10001::/nonexistent:/usr/sbin/nologin\n';
  it('the image\'s claude-agent, or a uid:gid, when the runner is root', () => {
    expect(lookUpUser(passwd, 'claude-agent')).toEqual({ uid: 10001, gid: 10001 });
    expect(chooseAgentIdentity({ processUid: 0, agentUser: 'claude-agent', passwd, allowUnisolated: false })).toEqual({ kind: 'isolated', uid: 10001, gid: 10001, name: 'claude-agent' });
    expect(chooseAgentIdentity({ processUid: 0, agentUser: '64123:64123', passwd: null, allowUnisolated: false })).toMatchObject({ kind: 'isolated', uid: 64123 });
  });

  it('not isolated when the runner is not root, the user is missing, or it is root itself', () => {
    expect(chooseAgentIdentity({ processUid: 1000, agentUser: 'claude-agent', passwd, allowUnisolated: false })).toMatchObject({ kind: 'unisolated', allowedByProject: false, reason: expect.stringMatching(/uid 1000, not root/) });
    expect(chooseAgentIdentity({ processUid: 0, agentUser: 'nobody-here', passwd, allowUnisolated: true })).toMatchObject({ kind: 'unisolated', allowedByProject: true });
    expect(chooseAgentIdentity({ processUid: 0, agentUser: 'root', passwd, allowUnisolated: false })).toMatchObject({ kind: 'unisolated', reason: '`root` is root' });
  });
});

describe('the agent\'s environment', () => {
  it('is built from nothing: no job variable but locale and Claude Code\'s own switches', () => {
    const jobEnv = { PATH: '/opt/evil:/usr/bin', GITLAB_TOKEN: 'g', CI_JOB_TOKEN: 'j', GCP_ID_TOKEN: 'jwt', ANTHROPIC_API_KEY: 'k', AWS_SECRET_ACCESS_KEY: 's', GOOGLE_APPLICATION_CREDENTIALS: '/c.json', DEPLOY_PASSWORD: 'p', LANG: 'C.UTF-8', CLAUDE_CODE_MAX_RETRIES: '2', NODE_OPTIONS: '--require /x.js', LD_PRELOAD: '/x.so' };
    expect(agentEnvironment({ jobEnv, home: '/w/home', gatewayEnv: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:1', ANTHROPIC_API_KEY: 'placeholder' } })).toEqual({
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: '/w/home',
      CLAUDE_CONFIG_DIR: '/w/home/.claude',
      TMPDIR: '/w/home/tmp',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      LANG: 'C.UTF-8',
      CLAUDE_CODE_MAX_RETRIES: '2',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:1',
      ANTHROPIC_API_KEY: 'placeholder',
    });
  });
});

describe('refused tool calls', () => {
  it('say which allow-list entry would permit them, or why none can', () => {
    expect(bashRule('npm test -- --watch')).toBe('Bash(npm test:*)');
    expect(bashRule('make')).toBe('Bash(make:*)');
    expect(bashRule('pytest -x tests/')).toBe('Bash(pytest:*)');
    const advice = adviseDenials(
      [{ tool: 'Bash', target: 'npm test' }, { tool: 'Bash', target: 'npm test' }, { tool: 'Read', target: '/etc/passwd' }, { tool: 'Write', target: '/w/ws/.claude/settings.json' }, { tool: 'WebFetch', target: 'https://x' }],
      true,
      true,
      '/w/ws',
    );
    expect(advice).toEqual([
      { tool: 'Bash', target: 'npm test', rule: 'Bash(npm test:*)', why: null },
      { tool: 'Read', target: '/etc/passwd', rule: null, why: 'outside the workspace' },
      { tool: 'Write', target: '.claude/settings.json', rule: null, why: 'a path Claude Code protects' },
      { tool: 'WebFetch', target: 'https://x', rule: 'WebFetch', why: null },
    ]);
    expect(adviseDenials([{ tool: 'Edit', target: 'a.ts' }, { tool: 'Bash', target: 'ls' }], false, false, '/w')).toEqual([
      { tool: 'Edit', target: 'a.ts', rule: null, why: 'this run cannot change files' },
      { tool: 'Bash', target: 'ls', rule: null, why: 'this run may not run commands (not isolated)' },
    ]);
  });
});

describe('the co-author trailer', () => {
  it('credits the requester with GitLab\'s private commit e-mail, and a name that cannot break the trailer', async () => {
    const { coAuthorTrailer } = await import('../../service/runner/deliver.js');
    expect(coAuthorTrailer({ id: 42, username: 'dana', name: 'Dana Scully' }, 'https://gitlab.example.com')).toBe('Co-authored-by: Dana Scully <42-dana@users.noreply.gitlab.example.com>');
    expect(coAuthorTrailer({ id: 7, username: 'eve', name: 'Eve <evil@x>\nSigned-off-by: x' }, 'https://g.example')).toBe('Co-authored-by: Eve evil@xSigned-off-by: x <7-eve@users.noreply.g.example>');
    expect(coAuthorTrailer({ id: 7, username: 'eve', name: null }, 'https://g.example')).toBe('Co-authored-by: eve <7-eve@users.noreply.g.example>');
  });
});
