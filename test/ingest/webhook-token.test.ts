import { describe, expect, it } from 'vitest';
import { createSecretMatcher, secretRefusal, type ScopedSecret } from '../../service/ingest/webhook-secrets.js';
import { parseProjectScope, type ProjectScope } from '../../service/project-scope.js';

const scope = (text: string) => parseProjectScope(text) as ProjectScope;

describe('webhook secret matcher', () => {
  const match = createSecretMatcher(['current-secret-value-1', 'previous-secret-value-0'], []);

  it('accepts every configured secret (rotation)', () => {
    expect(match('current-secret-value-1')).toEqual({ shared: true, scopes: [] });
    expect(match('previous-secret-value-0')).toEqual({ shared: true, scopes: [] });
  });

  it.each([undefined, '', 'current-secret-value-', 'current-secret-value-12', 'CURRENT-SECRET-VALUE-1', 'current-secret-value-1 '])('rejects %j', (token) => {
    expect(match(token)).toBeNull();
  });
});

describe('scoped webhook secrets', () => {
  const scoped: ScopedSecret[] = [
    { scope: scope('acme/platform'), secret: 'platform-secret-000001' },
    { scope: scope('42'), secret: 'project-42-secret-00001' },
  ];
  const match = createSecretMatcher(['shared-secret-value-0001'], scoped);
  const platformApp = { id: 7, path: 'acme/platform/app' };
  const elsewhere = { id: 8, path: 'acme/web' };

  it('opens a group and its subprojects with its own secret, and nothing else', () => {
    const platform = match('platform-secret-000001');
    expect(platform).toEqual({ shared: false, scopes: ['acme/platform'] });
    expect(secretRefusal(platform!, platformApp, scoped)).toBeNull();
    expect(secretRefusal(platform!, elsewhere, scoped)).toContain('its own webhook secret');
    expect(secretRefusal(platform!, { id: 9, path: 'acme/platformer' }, scoped)).not.toBeNull();
  });

  it('the shared secret opens only the projects no scoped secret covers', () => {
    const shared = match('shared-secret-value-0001')!;
    expect(secretRefusal(shared, elsewhere, scoped)).toBeNull();
    expect(secretRefusal(shared, platformApp, scoped)).not.toBeNull();
    expect(secretRefusal(shared, { id: 42, path: 'other/thing' }, scoped)).not.toBeNull();
  });
});
