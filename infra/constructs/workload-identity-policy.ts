// Pure pieces of the WIF trust policy, kept apart from the resources so tests and docs can state them exactly.

export interface TrustPolicy {
  namespaceIds: readonly string[];
  projectIds: readonly string[];
  requireProtectedRef: boolean;
}

// GitLab's id_token claims, all strings (ref_protected is "true"/"false").
// https://docs.gitlab.com/ci/secrets/id_token_authentication/#token-payload
export const GITLAB_CLAIMS = [
  'project_id',
  'project_path',
  'namespace_id',
  'namespace_path',
  'ref',
  'ref_type',
  'ref_protected',
  'user_login',
] as const;

export function attributeMapping(): Record<string, string> {
  const mapping: Record<string, string> = {
    // GitLab's own `sub` embeds the project path and ref and can pass Google's 127-byte limit on
    // google.subject; project and job ids are short and still name the exact job in audit logs.
    'google.subject': '"project_id:" + assertion.project_id + ":job_id:" + assertion.job_id',
  };
  for (const claim of GITLAB_CLAIMS) mapping[`attribute.${claim}`] = `assertion.${claim}`;
  return mapping;
}

const celList = (ids: readonly string[]) => `[${ids.map((id) => `'${id}'`).join(', ')}]`;

// Every clause is joined with &&: the pool then refuses tokens from any other project on the instance,
// before any IAM binding is consulted.
export function attributeCondition({ namespaceIds, projectIds, requireProtectedRef }: TrustPolicy): string {
  const clauses = [
    `assertion.namespace_id in ${celList(namespaceIds)}`,
    `assertion.project_id in ${celList(projectIds)}`,
  ];
  if (requireProtectedRef) clauses.push(`assertion.ref_protected == 'true'`);
  return clauses.join(' && ');
}

export function providerResourceName(projectNumber: string, poolId: string, providerId: string): string {
  return `projects/${projectNumber}/locations/global/workloadIdentityPools/${poolId}/providers/${providerId}`;
}

// What the CI templates put in `id_tokens: …: aud:`; the provider accepts exactly this audience.
export function idTokenAudience(providerName: string): string {
  return `https://iam.googleapis.com/${providerName}`;
}

// Keyed on the project id: a binding on a path would follow the path to whoever registers it next.
export function projectPrincipalSet(poolName: string, projectId: string): string {
  return `principalSet://iam.googleapis.com/${poolName}/attribute.project_id/${projectId}`;
}
