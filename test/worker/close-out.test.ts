import { describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../service/domain.js';
import type { GitLabApi } from '../../service/gitlab/api.js';
import { GitLabApiError } from '../../service/gitlab/errors.js';
import type { CoordinationStore } from '../../service/store/types.js';
import { closeOutEndedPipeline } from '../../service/worker/close-out.js';
import { issueContext } from '../runner/fixtures.js';
import { captureLogger } from '../support/logs.js';

// A refusal while closing out an ended pipeline is logged, not retried, and the log carries the error
// itself (pino's serializer: type, message, stack, status), not a string.

describe('closing out an ended pipeline', () => {
  it('logs a permanent refusal with the error as an object, stack included', async () => {
    const refusal = new GitLabApiError(
      'GitLab GET /projects/5/issues/12/discussions/d1 answered 404: Not found',
      404,
      'GET',
      '/x',
    );
    const gitlab = { threadNotes: () => Promise.reject(refusal) } as unknown as GitLabApi;
    const { logger, logs: records } = captureLogger();
    const context = issueContext();
    const event: PipelineEvent = {
      projectId: context.project.id,
      pipelineId: 7,
      status: 'failed',
      url: null,
      variables: { AI_FLOW_EVENT: 'mention', AI_FLOW_CONTEXT: JSON.stringify(context) },
      deliveryId: 'd-1',
    };
    await closeOutEndedPipeline(gitlab, {} as CoordinationStore, event, logger);
    logger.flush();
    const line = records.find((record) => String(record.message).startsWith('could not close out'));
    expect(line?.err).toMatchObject({ type: 'GitLabApiError', status: 404, message: refusal.message });
    expect((line?.err as { stack?: string }).stack).toContain('GitLabApiError');
  });

  it('throws a transient failure, for the hook to be retried', async () => {
    const gitlab = { threadNotes: () => Promise.reject(new GitLabApiError('GitLab answered 502', 502, 'GET', '/x')) };
    const { logger } = captureLogger();
    const context = issueContext();
    const variables = { AI_FLOW_EVENT: 'mention', AI_FLOW_CONTEXT: JSON.stringify(context) };
    const event = {
      projectId: context.project.id,
      pipelineId: 7,
      status: 'failed',
      url: null,
      variables,
      deliveryId: 'd-2',
    };
    const closing = closeOutEndedPipeline(gitlab as unknown as GitLabApi, {} as CoordinationStore, event, logger);
    await expect(closing).rejects.toMatchObject({ status: 502, transient: true });
  });
});
