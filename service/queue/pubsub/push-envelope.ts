// The body Pub/Sub POSTs to a push endpoint (wrapped, the default):
// https://cloud.google.com/pubsub/docs/push#receive_push
//   { "message": { "data": "<base64>", "attributes": {...}, "messageId": "...", "publishTime": "..." },
//     "subscription": "projects/.../subscriptions/...", "deliveryAttempt": 3 }
// `deliveryAttempt` is there only when the subscription has a dead-letter policy.

export interface PushEnvelope {
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
  publishTime: string | null;
  subscription: string | null;
  deliveryAttempt: number | null;
}

export type ParsedEnvelope = { ok: true; envelope: PushEnvelope } | { ok: false; reason: string };

export function parsePushEnvelope(body: unknown): ParsedEnvelope {
  if (!isObject(body) || !isObject(body.message)) return { ok: false, reason: 'not a Pub/Sub push envelope (no message)' };
  const { message } = body;
  // The REST form spells it messageId; some samples show message_id too.
  const messageId = message.messageId ?? message.message_id;
  if (typeof messageId !== 'string' || messageId === '') return { ok: false, reason: 'message.messageId missing' };
  if (message.data !== undefined && typeof message.data !== 'string') return { ok: false, reason: 'message.data is not base64 text' };
  const attributes = message.attributes ?? {};
  if (!isObject(attributes) || !Object.values(attributes).every((value) => typeof value === 'string')) {
    return { ok: false, reason: 'message.attributes is not a string map' };
  }
  const attempt = body.deliveryAttempt;
  return {
    ok: true,
    envelope: {
      messageId,
      data: Buffer.from((message.data as string | undefined) ?? '', 'base64'),
      attributes: attributes as Record<string, string>,
      publishTime: typeof message.publishTime === 'string' ? message.publishTime : null,
      subscription: typeof body.subscription === 'string' ? body.subscription : null,
      deliveryAttempt: typeof attempt === 'number' && Number.isInteger(attempt) && attempt > 0 ? attempt : null,
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
