import { describe, expect, it } from 'vitest';
import { credentialConfig, isSafeBranchName, pushArgs, pushTarget, stripCredentials } from '../../service/runner/git-remote.js';

describe('pushTarget', () => {
  it('uses the token only towards CI_SERVER_URL, on the origin URL without the job token', () => {
    expect(pushTarget('https://gitlab-ci-token:jobtok@gitlab.example.com/group/project.git', 'https://gitlab.example.com')).toEqual({
      url: 'https://gitlab.example.com/group/project.git',
      useToken: true,
    });
  });

  it('never offers the token to another host, port or scheme', () => {
    expect(pushTarget('https://evil.example.com/group/project.git', 'https://gitlab.example.com').useToken).toBe(false);
    expect(pushTarget('https://gitlab.example.com:8443/group/project.git', 'https://gitlab.example.com').useToken).toBe(false);
    expect(pushTarget('http://gitlab.example.com/group/project.git', 'https://gitlab.example.com').useToken).toBe(false);
  });

  it('pushes to a local path or file URL as it is, without a token', () => {
    expect(pushTarget('/tmp/remote.git', 'https://gitlab.example.com')).toEqual({ url: '/tmp/remote.git', useToken: false });
    expect(pushTarget('file:///tmp/remote.git', 'http://127.0.0.1:4000')).toEqual({ url: 'file:///tmp/remote.git', useToken: false });
  });
});

describe('pushArgs', () => {
  it('pushes HEAD to one branch, never forced', () => {
    const args = pushArgs({ url: '/tmp/r.git', useToken: false }, 'claude/issue-1-20260101-000000', 'https://g');
    expect(args).toEqual(['push', '--porcelain', '/tmp/r.git', 'HEAD:refs/heads/claude/issue-1-20260101-000000']);
    expect(args.join(' ')).not.toMatch(/--force|\s\+|-f\b/);
  });

  it('adds a credential helper scoped to the server that reads GITLAB_TOKEN from the environment', () => {
    const args = pushArgs({ url: 'https://g.example/p.git', useToken: true }, 'feature', 'https://g.example/');
    expect(args.slice(0, 4)).toEqual(credentialConfig('https://g.example'));
    expect(args[3]).toMatch(/^credential\.https:\/\/g\.example\.helper=!f\(\)/);
    expect(args.join(' ')).toContain('${GITLAB_TOKEN}');
  });

  it('refuses branch names that could change what the push means', () => {
    for (const bad of ['+main', '-f', 'a..b', 'x:y', 'a b', 'main.lock', 'a//b', '/x', 'x/']) {
      expect(isSafeBranchName(bad), bad).toBe(false);
      expect(() => pushArgs({ url: '/r', useToken: false }, bad, 'https://g')).toThrow(/refusing/);
    }
    expect(isSafeBranchName('feature/parser-cache_2')).toBe(true);
  });
});

describe('stripCredentials', () => {
  it('removes userinfo from http(s) URLs only', () => {
    expect(stripCredentials('https://u:p@h.example/x.git')).toBe('https://h.example/x.git');
    expect(stripCredentials('git@h.example:x.git')).toBe('git@h.example:x.git');
  });
});
