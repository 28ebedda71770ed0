import { describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../service/http/webhook-token.js';

describe('webhook token verifier', () => {
  const verify = createTokenVerifier(['current-secret-value-1', 'previous-secret-value-0']);

  it('accepts every configured secret (rotation)', () => {
    expect(verify('current-secret-value-1')).toBe(true);
    expect(verify('previous-secret-value-0')).toBe(true);
  });

  it.each([undefined, '', 'current-secret-value-', 'current-secret-value-12', 'CURRENT-SECRET-VALUE-1', 'current-secret-value-1 '])('rejects %j', (token) => {
    expect(verify(token)).toBe(false);
  });
});
