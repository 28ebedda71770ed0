import type { FlowRequest, PipelineEvent } from '../domain.js';

export interface ClassifyConfig {
  triggerPhrase: string;
  allowConfidential: boolean;
  /** Base for URLs a payload leaves out (a project without `web_url`). */
  gitlabUrl: string;
  /** The service's own GitLab user: its notes never trigger. */
  selfUsername?: string | null;
  /** TRIGGER_LABEL: adding it to an issue or MR starts a run; null: labels do not trigger. */
  triggerLabel?: string | null;
  /** REVIEW_ON_READY: a draft MR marked ready starts a review. */
  reviewOnReady?: boolean;
}

export interface WebhookInput {
  eventHeader: string | undefined;
  deliveryId: string;
  payload: unknown;
  receivedAt: Date;
}

export type Classification =
  | { kind: 'flow'; request: FlowRequest }
  | { kind: 'pipeline'; event: PipelineEvent }
  /** Answered 2xx with the reason. */
  | { kind: 'ignore'; reason: string }
  /** A recognised event whose payload is not what GitLab sends: 400. */
  | { kind: 'invalid'; reason: string };

export const ignore = (reason: string): Classification => ({ kind: 'ignore', reason });
export const invalid = (reason: string): Classification => ({ kind: 'invalid', reason });
