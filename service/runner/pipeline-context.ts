import type { FlowContextV1 } from '../domain.js';
import type { ApiJob, ApiPipeline, NoteableDetails, RunnerGitLab } from './gitlab.js';
import { messageOf } from './run-failure.js';
import { redactSecrets, revealInvisible } from './sanitize.js';

// Why a pipeline failed, as data for the prompt: on a merge request the newest pipeline of its head, and
// any pipeline or job of this project that the request or the description links. For each failed job,
// the tail of its log: ANSI colours and GitLab's collapsible-section markers stripped, invisible
// characters shown, secrets redacted, bounded per job and in total. A log is written by whatever ran in
// CI, so it is data like any other, never an instruction.

export interface LogLimits {
  perJob: number;
  total: number;
  jobs: number;
}

export const LOG_LIMITS: LogLimits = { perJob: 6_000, total: 20_000, jobs: 5 };

// CSI sequences (colours, cursor moves) and OSC sequences (titles, hyperlinks).
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;
// `section_start:1700000000:step_script\r\u001b[0K` and its end marker.
const SECTION = /section_(?:start|end):\d+:[A-Za-z0-9_.-]+(?:\[[^\]]*\])?\r?/g;

/** The last `limit` characters of a job log, made readable and safe for the prompt. */
export function logTail(trace: string, limit: number, secrets: readonly string[]): { text: string; cut: boolean } {
  const clean = redactSecrets(revealInvisible(trace.replace(ANSI, '').replace(SECTION, '').replace(/\r(?!\n)/g, '\n')), secrets).trimEnd();
  if (clean.length <= limit) return { text: clean, cut: false };
  const tail = clean.slice(-limit);
  return { text: tail.slice(tail.indexOf('\n') + 1), cut: true };
}

/** Pipeline and job ids of this project that a text links (`<project url>/-/pipelines/12`, `/-/jobs/34`). */
export function linkedIds(text: string, projectUrl: string): { pipelines: number[]; jobs: number[] } {
  const base = projectUrl.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const find = (kind: string) => [...text.matchAll(new RegExp(`${base}/-/${kind}/(\\d+)`, 'g'))].map((match) => Number(match[1]));
  return { pipelines: [...new Set(find('pipelines'))], jobs: [...new Set(find('jobs'))] };
}

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}text\n${text}\n${ticks}`;
}

export function describeFailures(pipeline: ApiPipeline, jobs: Array<{ job: ApiJob; log: { text: string; cut: boolean } | null }>): string {
  const lines = [`Pipeline #${pipeline.id} on \`${pipeline.ref}\` (${pipeline.sha.slice(0, 8)}): ${pipeline.status}. ${pipeline.web_url}`];
  if (jobs.length === 0) lines.push('No failed jobs.');
  for (const { job, log } of jobs) {
    lines.push('', `### Job ${job.name} (stage ${job.stage}): ${job.status}${job.failure_reason ? `, ${job.failure_reason}` : ''}${job.allow_failure ? ', allowed to fail' : ''}`);
    if (log) lines.push(log.cut ? 'The end of its log:' : 'Its log:', fence(log.text));
  }
  return lines.join('\n');
}

export interface PipelineContextInput {
  gitlab: RunnerGitLab;
  context: FlowContextV1;
  details: NoteableDetails;
  /** The request and the description: where a linked pipeline or job would be. */
  texts: readonly string[];
  secrets: readonly string[];
  log: (message: string) => void;
  limits?: LogLimits;
}

async function pipelinesToRead(input: PipelineContextInput): Promise<ApiPipeline[]> {
  const { gitlab, context, details } = input;
  const projectId = context.project.id;
  const projectUrl = `${context.gitlab_url.replace(/\/+$/, '')}/${context.project.path}`;
  const linked = linkedIds(input.texts.join('\n'), projectUrl);
  const ids = new Set(linked.pipelines);
  for (const jobId of linked.jobs.slice(0, 3)) {
    const job = await gitlab.job(projectId, jobId);
    if (job) ids.add(job.pipeline.id);
  }
  const found: ApiPipeline[] = [];
  const headSha = details.mergeRequest?.headSha;
  if (headSha) {
    const latest = await gitlab.latestPipeline(projectId, headSha);
    if (latest) {
      found.push(latest);
      ids.delete(latest.id);
    }
  }
  for (const id of [...ids].slice(0, 3)) {
    const pipeline = await gitlab.pipeline(projectId, id);
    if (pipeline) found.push(pipeline);
  }
  return found;
}

/** The failure context for the prompt, or null when there is none (or it could not be read: not fatal). */
export async function readPipelineContext(input: PipelineContextInput): Promise<string | null> {
  const limits = input.limits ?? LOG_LIMITS;
  try {
    const pipelines = await pipelinesToRead(input);
    if (pipelines.length === 0) return null;
    let budget = limits.total;
    const sections: string[] = [];
    for (const pipeline of pipelines) {
      const failed = pipeline.status === 'failed' ? (await input.gitlab.failedJobs(input.context.project.id, pipeline.id)).slice(0, limits.jobs) : [];
      const jobs = [];
      for (const job of failed) {
        const room = Math.min(limits.perJob, budget);
        const log = room > 200 ? logTail(await input.gitlab.jobTrace(input.context.project.id, job.id), room, input.secrets) : null;
        budget -= log?.text.length ?? 0;
        jobs.push({ job, log });
      }
      sections.push(describeFailures(pipeline, jobs));
    }
    return sections.join('\n\n');
  } catch (error) {
    input.log(`could not read the pipeline's failure; going on without it: ${messageOf(error)}`);
    return null;
  }
}
