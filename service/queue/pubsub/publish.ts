import type { Topic } from '@google-cloud/pubsub';
import { QueueUnavailableError } from '../types.js';

// Publish and wait for Pub/Sub's confirmation, but not for long: ingest answers GitLab within its 10 s,
// and a 503 (GitLab retries) beats a timeout. The client retries transient errors itself; the deadline
// only bounds our wait (a publish that completes after it is a duplicate the store absorbs).

export interface OutgoingMessage {
  data: Buffer;
  attributes: Record<string, string>;
}

export async function publishWithDeadline(topic: Topic, message: OutgoingMessage, deadlineMs: number): Promise<string> {
  const publishing = topic.publishMessage(message);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueueUnavailableError(`Pub/Sub did not confirm the publish within ${deadlineMs} ms`)), deadlineMs);
  });
  try {
    return await Promise.race([publishing, deadline]);
  } catch (error) {
    if (error instanceof QueueUnavailableError) throw error;
    throw new QueueUnavailableError(`Pub/Sub publish to ${topic.name} failed: ${grpcMessage(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

function grpcMessage(error: unknown): string {
  const { code, details, message } = (error ?? {}) as { code?: number; details?: string; message?: string };
  if (code === 5) return 'topic not found (check PUBSUB_TOPIC)';
  if (code === 7) return 'permission denied (the service account needs roles/pubsub.publisher on the topic)';
  return details || message || String(error);
}
