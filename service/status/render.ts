import type { Incident } from '../store/types.js';
import type { PendingThreadView, RunView, StatusSnapshot } from './snapshot.js';

// The status page as one HTML string: a pure function of the snapshot, so it is tested without a server.
// Every value was written by someone on GitLab (titles, usernames, even URLs), so each goes through
// `escape`, and a link is a link only when it is http(s). No script, no client framework.

export interface RenderOptions {
  /** Show the pause and resume buttons (the page was opened with a session that may use them). */
  controls: boolean;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escape(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (char) => ESCAPES[char] as string);
}

/** An anchor when the URL is http(s), else the text alone (a `javascript:` URL in a payload stays text). */
export function link(url: string | null | undefined, text: string): string {
  if (!url || !/^https?:\/\//i.test(url)) return escape(text);
  return `<a href="${escape(url)}" rel="noreferrer noopener">${escape(text)}</a>`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

function time(at: number | string): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? escape(at) : `<time datetime="${date.toISOString()}">${date.toISOString().slice(0, 19).replace('T', ' ')} UTC</time>`;
}

const STYLE = `
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;padding:0 12px 32px;color:#1f2328;background:#fff}
header{padding:12px 0;border-bottom:1px solid #d0d7de;margin-bottom:8px}
h1{font-size:20px;margin:0}h2{font-size:17px;margin:20px 0 6px}
.banner{padding:10px 12px;border-radius:6px;margin:10px 0;font-weight:600}
.paused{background:#fff8c5;border:1px solid #d4a72c}.running{background:#dafbe1;border:1px solid #4ac26b}
.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 10px;margin:6px 0;overflow-wrap:anywhere}
.card .top{display:flex;justify-content:space-between;gap:8px;flex-wrap:wrap}
.state{font-weight:600;text-transform:uppercase;font-size:12px;padding:1px 6px;border-radius:10px;background:#eaeef2}
.state-running{background:#ddf4ff}.state-finished{background:#dafbe1}.state-failed{background:#ffebe9}.state-waiting{background:#fff8c5}
.muted{color:#59636e;font-size:13px}.empty{color:#59636e;font-style:italic}
form{display:inline}button{font:inherit;padding:6px 14px;border-radius:6px;border:1px solid #8c959f;background:#f6f8fa}
ul{padding-left:18px;margin:4px 0}code{font-size:13px}
`;

export function renderStatusPage(snapshot: StatusSnapshot, options: RenderOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>claude-gitlab-flow status</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>claude-gitlab-flow status</h1><div class="muted">as of ${time(snapshot.at)}</div></header>
${pauseBanner(snapshot, options)}
<section id="runs"><h2>Recent runs</h2>${list(snapshot.runs, runCard, 'No runs yet.')}</section>
<section id="slots"><h2>Slots in use and waiting, per project</h2>${list(snapshot.projects, projectCard, 'No project holds a slot or has a line.')}</section>
<section id="pending"><h2>Threads with mentions not yet run</h2>${list(snapshot.pendingThreads, pendingCard, 'None.')}</section>
<section id="stalled"><h2>Stalled work</h2>${list([...snapshot.stalled.threads.map((thread) => ({ thread })), ...snapshot.stalled.runs.map((run) => ({ run }))], stalledCard, 'None.')}</section>
<section id="incidents"><h2>Dead letters and incidents</h2>${list(snapshot.incidents, incidentCard, 'None recorded.')}</section>
<section id="errors"><h2>Last errors</h2>${list(snapshot.errors, errorCard, 'None.')}</section>
</body>
</html>
`;
}

function pauseBanner(snapshot: StatusSnapshot, options: RenderOptions): string {
  const { pause } = snapshot;
  const by = pause.by ? ` by ${escape(pause.by)}` : '';
  const text = pause.paused
    ? `⏸️ Paused${by} since ${time(pause.since ?? 0)}: mentions are kept, nothing is triggered.`
    : `▶️ Running: mentions are handled as they come.`;
  const button = !options.controls
    ? ''
    : pause.paused
      ? ` <form method="post" action="/status/resume"><button type="submit">Resume</button></form>`
      : ` <form method="post" action="/status/pause"><button type="submit">Pause</button></form>`;
  return `<div id="pause" class="banner ${pause.paused ? 'paused' : 'running'}">${text}${button}</div>`;
}

function list<T>(items: T[], card: (item: T) => string, empty: string): string {
  return items.length === 0 ? `<p class="empty">${escape(empty)}</p>` : items.map(card).join('\n');
}

function runCard(run: RunView): string {
  const pipeline = run.pipeline ? link(run.pipeline.url, `pipeline #${run.pipeline.id}`) : '<span class="muted">no pipeline</span>';
  return `<div class="card run" data-run="${escape(run.runId)}">
<div class="top"><span>${link(run.project.url, run.project.path)} · ${link(run.thread.url, `${run.thread.kind} ${run.thread.title ?? ''}`.trim())}</span><span class="state state-${escape(run.phase)}" title="state: ${escape(run.state)}">${escape(run.phase)}</span></div>
<div>asked by ${run.askedBy.map((name) => `@${escape(name)}`).join(', ') || '<span class="muted">nobody confirmed</span>'} · ${pipeline} · ${formatDuration(run.durationMs)} · cost not recorded</div>
<div class="muted">run <code>${escape(run.runId)}</code> · started ${time(run.createdAt)}${run.error ? ` · ${escape(run.error)}` : ''}</div>
</div>`;
}

function projectCard(project: StatusSnapshot['projects'][number]): string {
  const active = project.active.map((slot) => `<li>run <code>${escape(slot.runId)}</code>${slot.pipelineId !== null ? `, pipeline #${escape(slot.pipelineId)}` : ', starting'}</li>`).join('');
  const waiting = project.waiting.map((run) => `<li>${link(run.thread.url, `${run.thread.kind} ${run.thread.title ?? ''}`.trim())} (@${escape(run.askedBy.join(', @'))}), waiting ${formatDuration(run.durationMs)}</li>`).join('');
  return `<div class="card project"><div><strong>${escape(project.path ?? `project ${project.projectId}`)}</strong> <span class="muted">(id ${escape(project.projectId)})</span>: ${project.active.length} slot${project.active.length === 1 ? '' : 's'} in use, ${project.waiting.length} waiting</div>
${active ? `<ul class="active">${active}</ul>` : ''}${waiting ? `<div>Waiting for a slot:</div><ol class="waiting">${waiting}</ol>` : ''}</div>`;
}

function pendingCard(thread: PendingThreadView): string {
  return `<div class="card pending">${escape(thread.project.path)} · ${link(thread.thread.url, `${thread.thread.kind} ${thread.thread.title ?? ''}`.trim())} · @${escape(thread.askedBy)} · since ${time(thread.receivedAt)}</div>`;
}

function stalledCard(item: { thread?: PendingThreadView; run?: RunView }): string {
  if (item.thread) return pendingCard(item.thread).replace('class="card pending"', 'class="card stalled"');
  const run = item.run as RunView;
  return `<div class="card stalled">run <code>${escape(run.runId)}</code> (${escape(run.state)}) in ${escape(run.project.path)}, untouched since ${time(run.updatedAt)}</div>`;
}

function incidentCard(incident: Incident): string {
  return `<div class="card incident"><span class="state">${escape(incident.kind)}</span> ${time(incident.at)}<div>${escape(incident.message)}</div></div>`;
}

function errorCard(error: StatusSnapshot['errors'][number]): string {
  return `<div class="card error">run <code>${escape(error.runId)}</code> · ${time(error.at)}<div>${escape(error.error)}</div></div>`;
}
