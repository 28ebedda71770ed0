import { describe, expect, it } from 'vitest';
import { GitLabApiError } from '../../service/gitlab/errors.js';
import { GitError } from '../../service/runner/git.js';
import { claudeHint, gitlabHint, pushHint } from '../../service/runner/hints.js';

describe('hints', () => {
  it('point GitLab refusals at the token, its scopes and role', () => {
    expect(gitlabHint(new GitLabApiError('x', 401, 'GET', '/p'))).toMatch(/expired or revoked.*GITLAB_TOKEN/);
    expect(gitlabHint(new GitLabApiError('x', 403, 'GET', '/p'))).toMatch(/`api` scope and at least the Developer role/);
    expect(gitlabHint(new GitLabApiError('x', 503, 'GET', '/p'))).toMatch(/could not be reached/);
    expect(gitlabHint(new Error('other'))).toBeUndefined();
  });

  it('tell a moved branch from a protected one from bad credentials', () => {
    expect(pushHint(new GitError('x', ' ! [rejected]        HEAD -> feature (fetch first)'))).toMatch(/never force-pushes/);
    expect(pushHint(new GitError('x', 'remote: GitLab: You are not allowed to push code to protected branches on this project.\n pre-receive hook declined'))).toMatch(/protected/);
    expect(pushHint(new GitError('x', 'fatal: Authentication failed for https://g/x.git'))).toMatch(/write_repository/);
  });

  it('recognise provider authentication failures in Claude Code output', () => {
    for (const text of ['Invalid API key · Please run /login', 'API Error: Could not load credentials from any providers', 'Could not load the default credentials', 'API Error: 401 {"type":"authentication_error"}']) {
      expect(claudeHint(text), text).toMatch(/could not authenticate/);
    }
    expect(claudeHint('API Error: 500 Internal server error')).toBeUndefined();
  });

  it('do not read the gateway\'s port as a status', () => {
    expect(claudeHint('API Error: Repeated 529 Overloaded errors. Check your inference gateway (127.0.0.1:40375)')).toBeUndefined();
    expect(claudeHint('API Error: 500 upstream failed (127.0.0.1:34013)')).toBeUndefined();
    expect(claudeHint('API Error: 403 {"type":"permission_error"}')).toMatch(/refused access/);
  });
});
