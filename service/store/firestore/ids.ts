import { createHash } from 'node:crypto';

// Firestore document ids may not contain '/', be '.' or '..', match __.*__, or exceed 1,500 bytes.
// Our keys (thread keys, delivery ids, run ids, note ids) are almost always safe as they are, and a
// readable id helps whoever looks at the console; anything else is hashed. '~' starts only hashed ids,
// so the mapping stays one-to-one.

const SAFE = /^[A-Za-z0-9:_\-.@+=,]{1,500}$/;

export function docId(key: string): string {
  if (SAFE.test(key) && key !== '.' && key !== '..' && !/^__.*__$/.test(key)) return key;
  return `~${createHash('sha256').update(key).digest('hex')}`;
}
