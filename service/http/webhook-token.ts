import { createHash, timingSafeEqual } from 'node:crypto';

// Constant-time check of X-Gitlab-Token against every configured secret (several during a rotation).
// Hashing first gives equal-length inputs, so neither the length nor the position of the first
// difference leaks through timing; every secret is compared, so which one matched does not leak either.

export function createTokenVerifier(secrets: readonly string[]): (presented: string | undefined) => boolean {
  const digests = secrets.map(digest);
  return (presented) => {
    if (typeof presented !== 'string' || presented.length === 0) return false;
    const candidate = digest(presented);
    let matched = false;
    for (const expected of digests) matched = timingSafeEqual(candidate, expected) || matched;
    return matched;
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
