import type { QueuedWork } from '../domain.js';

// What the log says of a queued item: its ids, never what people wrote (note text, pipeline variables).
// The message itself, or the store, holds what the worker needs; a log line only has to find it.

export function describeWork(work: QueuedWork): Record<string, unknown> {
  switch (work.kind) {
    case 'flow':
      return { kind: 'flow', event: work.request.event, projectId: work.request.project.id, noteId: work.request.note.id, threadKey: work.request.threadKey, deliveryId: work.request.deliveryId };
    case 'pipeline':
      return { kind: 'pipeline', projectId: work.event.projectId, pipelineId: work.event.pipelineId, status: work.event.status };
    case 'wake':
      return { kind: 'wake', projectId: work.projectId };
    case 'run':
      return { kind: 'run', projectId: work.projectId, runId: work.runId };
  }
}
