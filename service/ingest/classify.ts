import { invalid, ignore, type Classification, type ClassifyConfig, type WebhookInput } from './classification.js';
import { classifyIssuable } from './classify-issuable.js';
import { classifyNote } from './classify-note.js';
import { classifyPipeline } from './classify-pipeline.js';
import { routeOf } from './route.js';

export type { Classification, ClassifyConfig, WebhookInput } from './classification.js';

/** A GitLab webhook delivery to what the service does with it. Pure: no I/O, no clock, no environment. */
export function classifyWebhook(input: WebhookInput, config: ClassifyConfig): Classification {
  const route = routeOf(input.eventHeader, input.payload);
  switch (route.kind) {
    case 'ignore':
      return ignore(route.reason);
    case 'invalid':
      return invalid(route.reason);
    case 'pipeline':
      return classifyPipeline(input.payload, input.deliveryId);
    case 'issuable':
      return classifyIssuable({ payload: input.payload, confidentialHook: route.confidentialHook, deliveryId: input.deliveryId, receivedAt: input.receivedAt }, config);
    case 'note':
      return classifyNote({ payload: input.payload, confidentialHook: route.confidentialHook, deliveryId: input.deliveryId, receivedAt: input.receivedAt }, config);
  }
}
