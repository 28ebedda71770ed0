import { createHash } from 'node:crypto';

// A note's text at rest: queue messages and pending mentions carry this digest of the webhook's text, not
// the text itself. It lets ingest tell a resend from an edit, and the worker check that GitLab's text is
// the one the webhook announced, without storing what people wrote.

export function noteDigest(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('base64url');
}
