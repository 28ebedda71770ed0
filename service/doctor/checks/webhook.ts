import type { DoctorContext, ProjectFacts, ProjectHook } from '../facts.js';
import { fail, pass, warn, type CheckResult } from '../result.js';
import { roleName } from './access.js';

// A webhook of the project must reach this service with Comments and Pipeline events, over verified TLS.

export const WEBHOOK_PATH = '/webhooks/gitlab';

/** `--service-url` may be the service's root or its webhook URL. */
export function webhookUrlOf(serviceUrl: string): string {
  const trimmed = serviceUrl.replace(/\/+$/, '');
  return trimmed.endsWith(WEBHOOK_PATH) ? trimmed : `${trimmed}${WEBHOOK_PATH}`;
}

function sameUrl(a: string, b: string): boolean {
  const normal = (url: string) => {
    try {
      const parsed = new URL(url);
      return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`.toLowerCase();
    } catch {
      return url;
    }
  };
  return normal(a) === normal(b);
}

function pointsHere(hook: ProjectHook, ctx: DoctorContext): boolean {
  if (ctx.webhookUrl) return sameUrl(hook.url, ctx.webhookUrl);
  try {
    return new URL(hook.url).pathname.replace(/\/+$/, '') === WEBHOOK_PATH;
  } catch {
    return false;
  }
}

function problemsOf(hook: ProjectHook): string[] {
  const problems: string[] = [];
  if (!hook.note_events) problems.push('Comments');
  if (!hook.pipeline_events) problems.push('Pipeline events');
  if (!hook.enable_ssl_verification) problems.push('Enable SSL verification');
  return problems;
}

export function checkWebhook(facts: ProjectFacts, ctx: DoctorContext): CheckResult {
  const id = 'project.webhook';
  const name = facts.project.body?.path_with_namespace ?? facts.given;
  const target = ctx.webhookUrl ?? `https://<this service>${WEBHOOK_PATH}`;
  const wanted =
    `URL ${target}, Secret token: the GITLAB_WEBHOOK_SECRET value, ` +
    'Trigger: Comments and Pipeline events, Enable SSL verification on';
  const hooks = facts.hooks;
  if (hooks?.status === 403) {
    const role = facts.member?.body ? roleName(facts.member.body.access_level) : 'not a Maintainer';
    return warn(
      id,
      `cannot list ${name}'s webhooks: GET /projects/:id/hooks needs Maintainer and the bot is ${role}`,
      `check by hand in ${name}, Settings > Webhooks: ${wanted}`,
    );
  }
  if (!hooks || hooks.status !== 200 || !hooks.body)
    return warn(
      id,
      `cannot list ${name}'s webhooks (${hooks?.error})`,
      `check by hand in ${name}, Settings > Webhooks: ${wanted}`,
    );
  const candidates = hooks.body.filter((hook) => pointsHere(hook, ctx));
  if (candidates.length === 0) {
    const others =
      hooks.body.length > 0 ? ` (its webhooks go to ${hooks.body.map((hook) => hook.url).join(', ')})` : '';
    return fail(
      id,
      `no webhook of ${name} points at ${target}${others}`,
      `in ${name}, Settings > Webhooks > Add new webhook: ${wanted}`,
    );
  }
  const hook = candidates.find((candidate) => problemsOf(candidate).length === 0) ?? (candidates[0] as ProjectHook);
  const problems = problemsOf(hook);
  if (problems.length > 0) {
    return fail(
      id,
      `the webhook ${hook.url} of ${name} has ${problems.join(', ')} off`,
      `in ${name}, Settings > Webhooks > Edit ${hook.url}: turn on ${problems.join(', ')}, then Save changes`,
    );
  }
  if (ctx.allowConfidential && hook.confidential_note_events === false) {
    return warn(
      id,
      `the webhook ${hook.url} of ${name} has Confidential comments off, but ALLOW_CONFIDENTIAL=true`,
      `in ${name}, Settings > Webhooks > Edit ${hook.url}: turn on Confidential comments`,
    );
  }
  if (!ctx.webhookUrl) {
    return warn(
      id,
      `the webhook ${hook.url} of ${name} is set up right, but doctor cannot tell whether it is this service's`,
      "pass --service-url (the service's root URL, or the webhook_url infra output)",
    );
  }
  return pass(id, `the webhook ${hook.url} of ${name} sends Comments and Pipeline events, with SSL verification`);
}
