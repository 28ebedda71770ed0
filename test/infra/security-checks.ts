// Predicates over synthesized Terraform JSON, one per security mistake the infra must never make. Each returns
// the problems it finds (empty when safe), so a test can show both that the real output passes and that a
// mutated copy with the mistake fails.
import type { Json, TfJson } from './helpers.js';

export interface TrustExpectations {
  namespaceIds: readonly string[];
  projectIds: readonly string[];
  runnerAccountId: string;
}

const IAM_GRANT = /^google_.*_iam_(member|binding|policy)$/;

function entries(json: TfJson): Array<{ type: string; name: string; body: Json }> {
  return Object.entries(json.resource ?? {}).flatMap(([type, byName]) =>
    Object.entries(byName).map(([name, body]) => ({ type, name, body })),
  );
}

function grants(json: TfJson): Array<{ address: string; type: string; body: Json; members: string[] }> {
  return entries(json)
    .filter(({ type }) => IAM_GRANT.test(type))
    .map(({ type, name, body }) => ({
      address: `${type}.${name}`,
      type,
      body,
      members: [body.member, ...(body.members ?? [])].filter((m): m is string => typeof m === 'string'),
    }));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}

function pinnedIds(condition: string, claim: string): string[] | undefined {
  const inList = new RegExp(`assertion\\.${claim}\\s+in\\s+\\[([^\\]]*)\\]`).exec(condition);
  if (inList) return [...inList[1]!.matchAll(/['"]([^'"]*)['"]/g)].map((m) => m[1]!);
  const equals = new RegExp(`assertion\\.${claim}\\s*==\\s*['"]([^'"]*)['"]`).exec(condition);
  return equals ? [equals[1]!] : undefined;
}

// The provider must refuse tokens of any other namespace or project, whatever IAM says.
export function attributeConditionProblems(json: TfJson, expected: TrustExpectations): string[] {
  const providers = entries(json).filter(({ type }) => type === 'google_iam_workload_identity_pool_provider');
  if (providers.length === 0) return ['no workload identity pool provider'];
  return providers.flatMap(({ name, body }) => {
    const condition: unknown = body.attribute_condition;
    if (typeof condition !== 'string' || condition.trim() === '') return [`${name}: no attribute_condition`];
    const problems: string[] = [];
    // A disjunction lets a token through on one clause alone.
    if (/\|\||!/.test(condition)) problems.push(`${name}: attribute_condition uses || or negation`);
    const namespaces = pinnedIds(condition, 'namespace_id');
    if (!namespaces || !sameSet(namespaces, expected.namespaceIds))
      problems.push(`${name}: attribute_condition does not pin namespace_id to ${expected.namespaceIds.join(', ')}`);
    const projects = pinnedIds(condition, 'project_id');
    if (!projects || !sameSet(projects, expected.projectIds))
      problems.push(`${name}: attribute_condition does not pin project_id to ${expected.projectIds.join(', ')}`);
    return problems;
  });
}

// Federated principals may only be whole GitLab projects, named by id.
export function principalSetProblems(json: TfJson, expected: TrustExpectations): string[] {
  return grants(json).flatMap(({ address, members }) =>
    members
      .filter((member) => /^principal(Set)?:\/\//.test(member))
      .flatMap((member) => {
        const match = /^principalSet:\/\/iam\.googleapis\.com\/.+\/attribute\.project_id\/([0-9]+)$/.exec(member);
        if (!match) return [`${address}: principal ${member} is not keyed on attribute.project_id/<id>`];
        if (!expected.projectIds.includes(match[1]!)) return [`${address}: principal for unexpected project ${match[1]}`];
        return [];
      }),
  );
}

function runnerReference(json: TfJson, expected: TrustExpectations): string | undefined {
  const runner = Object.entries(json.resource?.google_service_account ?? {}).find(
    ([, body]) => body.account_id === expected.runnerAccountId,
  );
  return runner ? `google_service_account.${runner[0]}.` : undefined;
}

// The CI job's account may call Vertex AI and nothing else; only federated GitLab projects may impersonate it.
export function runnerRoleProblems(json: TfJson, expected: TrustExpectations): string[] {
  const runner = runnerReference(json, expected);
  if (!runner) return [`no runner service account ${expected.runnerAccountId}`];
  const problems: string[] = [];
  let vertex = 0;
  for (const { address, type, body, members } of grants(json)) {
    if (members.some((m) => m.includes(runner))) {
      if (type === 'google_project_iam_member' && body.role === 'roles/aiplatform.user' && !body.condition) vertex += 1;
      else problems.push(`${address}: runner account gets ${body.role ?? 'a policy'}`);
    }
    if (typeof body.service_account_id === 'string' && body.service_account_id.includes(runner)) {
      const federatedOnly = members.every((m) => m.startsWith('principalSet://'));
      if (body.role !== 'roles/iam.workloadIdentityUser' || !federatedOnly)
        problems.push(`${address}: ${members.join(', ')} may use the runner account as ${body.role}`);
    }
  }
  if (vertex !== 1) problems.push(`runner account must have roles/aiplatform.user exactly once, has it ${vertex} times`);
  return problems;
}

const BROAD_ROLES = new Set(['roles/owner', 'roles/editor']);
// Project-wide, these let a member act as every service account in the project.
const PROJECT_WIDE_IMPERSONATION = new Set(['roles/iam.serviceAccountUser', 'roles/iam.serviceAccountTokenCreator']);

export function broadRoleProblems(json: TfJson): string[] {
  const problems: string[] = [];
  for (const { address, type, body, members } of grants(json)) {
    const roles = [body.role, ...[...String(body.policy_data ?? '').matchAll(/roles\/[A-Za-z.]+/g)].map((m) => m[0])];
    for (const role of roles) if (BROAD_ROLES.has(role)) problems.push(`${address}: grants ${role}`);
    if (/^google_(project|folder|organization)_iam_/.test(type) && PROJECT_WIDE_IMPERSONATION.has(body.role))
      problems.push(`${address}: grants ${body.role} on the whole ${type.split('_')[1]}`);
    if (/^google_(project|folder|organization)_iam_(binding|policy)$/.test(type))
      problems.push(`${address}: authoritative ${type} would remove everyone else's grants`);
    const isPublic = members.some((m) => m === 'allUsers' || m === 'allAuthenticatedUsers');
    if (isPublic && !(type === 'google_cloud_run_v2_service_iam_member' && body.role === 'roles/run.invoker'))
      problems.push(`${address}: public access through ${type} ${body.role}`);
  }
  return problems;
}

const PUBSUB_AGENT = /^serviceAccount:service-[0-9]+@gcp-sa-pubsub\.iam\.gserviceaccount\.com$/;
// "${google_pubsub_topic.x.id}" and "${google_pubsub_topic.x.name}" name the same topic.
const topicAddress = (ref: unknown): string => String(ref).replace(/^\$\{(google_pubsub_topic\.[^.}]+)\.\w+\}$/, '$1');

// Push requests must carry an OIDC token, and no request may be dropped after its last attempt.
export function subscriptionProblems(json: TfJson): string[] {
  const subscriptions = entries(json).filter(({ type }) => type === 'google_pubsub_subscription');
  // A dead-letter topic is one a subscription dead-letters to, or one Pub/Sub's agent may publish to.
  const deadLetterTopics = new Set([
    ...subscriptions.map(({ body }) => body.dead_letter_policy?.dead_letter_topic).filter(Boolean).map(topicAddress),
    ...grants(json)
      .filter(({ type, body, members }) => type === 'google_pubsub_topic_iam_member' && body.role === 'roles/pubsub.publisher' && members.some((m) => PUBSUB_AGENT.test(m)))
      .map(({ body }) => topicAddress(body.topic)),
  ]);
  const problems: string[] = [];
  for (const { name, body } of subscriptions) {
    if (body.push_config) {
      const token = body.push_config.oidc_token;
      if (!token?.service_account_email || !token?.audience)
        problems.push(`${name}: push subscription without an OIDC token (service account and audience)`);
    }
    if (deadLetterTopics.has(topicAddress(body.topic))) continue;
    const policy = body.dead_letter_policy;
    if (!policy?.dead_letter_topic || !(policy.max_delivery_attempts >= 5))
      problems.push(`${name}: no dead-letter policy with max_delivery_attempts`);
    if (!body.retry_policy) problems.push(`${name}: no retry policy`);
  }
  for (const topic of deadLetterTopics) {
    if (!subscriptions.some(({ body }) => topicAddress(body.topic) === topic))
      problems.push(`dead-letter topic ${topic} has no subscription: dead letters would be dropped`);
  }
  return problems;
}

export function securityProblems(json: TfJson, expected: TrustExpectations): string[] {
  const isWif = Boolean(json.resource?.google_iam_workload_identity_pool_provider);
  return [
    ...(isWif
      ? [
          ...attributeConditionProblems(json, expected),
          ...principalSetProblems(json, expected),
          ...runnerRoleProblems(json, expected),
        ]
      : principalSetProblems(json, expected)),
    ...broadRoleProblems(json),
    ...subscriptionProblems(json),
  ];
}
