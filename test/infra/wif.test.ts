import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { WifStack } from '../../infra/stacks/wif-stack.js';
import {
  attributeConditionProblems,
  broadRoleProblems,
  principalSetProblems,
  runnerRoleProblems,
  securityProblems,
  type TrustExpectations,
} from './security-checks.js';
import { configWith, onlyResource, resourcesOf, synthStacks, type Json, type TfJson } from './helpers.js';

const config = configWith();
const { wif } = synthStacks(config);
const expected: TrustExpectations = {
  namespaceIds: config.gitlab.namespaceIds,
  projectIds: config.gitlab.projectIds,
  runnerAccountId: config.wif.runnerAccountId,
};
const providerName = 'projects/123456789012/locations/global/workloadIdentityPools/gitlab/providers/gitlab';

// A copy of the real output with one mistake in it.
function mutated(change: (json: TfJson) => void): TfJson {
  const copy = structuredClone(wif);
  change(copy);
  return copy;
}
const provider = (json: TfJson): Json => onlyResource(json, 'google_iam_workload_identity_pool_provider');
const bindings = (json: TfJson): Json[] => resourcesOf(json, 'google_service_account_iam_member');
const runnerRef = '${google_service_account.gitlab_runner_348E9B11.member}';

describe('wif stack', () => {
  it('trusts the configured GitLab as OIDC issuer, for the audience the CI templates use', () => {
    expect(provider(wif).oidc).toEqual({
      issuer_uri: 'https://gitlab.com',
      allowed_audiences: [`https://iam.googleapis.com/${providerName}`],
    });
    expect(wif.output?.ID_TOKEN_AUDIENCE?.value).toBe(`https://iam.googleapis.com/${providerName}`);
  });

  it('maps the GitLab claims the bindings and audit logs need', () => {
    const mapping = provider(wif).attribute_mapping as Record<string, string>;
    for (const claim of ['project_id', 'project_path', 'namespace_id', 'namespace_path', 'ref', 'ref_type', 'ref_protected', 'user_login'])
      expect(mapping[`attribute.${claim}`]).toBe(`assertion.${claim}`);
    expect(mapping['google.subject']).toContain('assertion.project_id');
  });

  it('pins the namespace and project ids in the attribute condition', () => {
    expect(provider(wif).attribute_condition).toBe(
      "assertion.namespace_id in ['1111111'] && assertion.project_id in ['22222222', '33333333']",
    );
  });

  it('can also require a protected ref, compared as the string GitLab sends', () => {
    const strict = synthStacks(configWith({ gitlab: { requireProtectedRef: true } })).wif;
    expect(provider(strict).attribute_condition).toMatch(/ && assertion\.ref_protected == 'true'$/);
    expect(attributeConditionProblems(strict, expected)).toEqual([]);
  });

  it('passes a JWKS document for an instance Google cannot reach', () => {
    const jwks = { keys: [{ kty: 'RSA', kid: 'k1', n: 'abc', e: 'AQAB', use: 'sig', alg: 'RS256' }] };
    const selfManaged = synthStacks(configWith({ gitlab: { url: 'https://gitlab.example.com/', jwks } })).wif;
    expect(provider(selfManaged).oidc).toMatchObject({ issuer_uri: 'https://gitlab.example.com', jwks_json: JSON.stringify(jwks) });
  });

  it('gives the runner account roles/aiplatform.user only', () => {
    const grants = resourcesOf(wif, 'google_project_iam_member');
    expect(grants).toEqual([expect.objectContaining({ role: 'roles/aiplatform.user', member: runnerRef })]);
  });

  it('lets each configured GitLab project, by id, impersonate the runner', () => {
    expect(bindings(wif).map((b) => [b.role, b.member])).toEqual(
      config.gitlab.projectIds.map((id) => [
        'roles/iam.workloadIdentityUser',
        `principalSet://iam.googleapis.com/\${google_iam_workload_identity_pool.gitlab_pool_FD268ECD.name}/attribute.project_id/${id}`,
      ]),
    );
  });

  it('outputs the GitLab CI/CD variables', () => {
    expect(wif.output).toMatchObject({
      GCP_WORKLOAD_IDENTITY_PROVIDER: { value: '${google_iam_workload_identity_pool_provider.gitlab_provider_7647FF08.name}' },
      GCP_SERVICE_ACCOUNT: { value: '${google_service_account.gitlab_runner_348E9B11.email}' },
      CLOUD_ML_REGION: { value: 'global' },
      ANTHROPIC_VERTEX_PROJECT_ID: { value: 'my-gcp-project' },
    });
  });

  it('refuses to plan when the configured project number is not the project', () => {
    const project = wif.data?.google_project?.project;
    expect(project?.lifecycle?.postcondition?.[0]?.condition).toBe('${self.number == "123456789012"}');
  });

  it('stands alone: a team can adopt WIF without the service', () => {
    const alone = JSON.parse(Testing.synth(new WifStack(Testing.app(), 'wif', config), true)) as TfJson;
    expect(alone.resource).toEqual(wif.resource);
    expect(JSON.stringify(alone)).not.toMatch(/terraform_remote_state|google_cloud_run|google_pubsub/);
  });

  it('has none of the security mistakes, in any config variant', () => {
    expect(securityProblems(wif, expected)).toEqual([]);
    const variant = synthStacks(configWith({ gitlab: { requireProtectedRef: true, projectIds: [7] }, enableApis: false })).wif;
    expect(securityProblems(variant, { ...expected, projectIds: ['7'] })).toEqual([]);
  });
});

describe('wif security checks catch', () => {
  it('a missing attribute condition', () => {
    const broken = mutated((json) => delete provider(json).attribute_condition);
    expect(attributeConditionProblems(broken, expected)).toEqual([expect.stringContaining('no attribute_condition')]);
  });

  it('a condition that does not pin the namespace id', () => {
    const broken = mutated((json) => {
      provider(json).attribute_condition = "assertion.project_id in ['22222222', '33333333']";
    });
    expect(attributeConditionProblems(broken, expected)).toEqual([expect.stringContaining('namespace_id')]);
  });

  it('a condition that pins other project ids, or only some', () => {
    for (const condition of [
      "assertion.namespace_id in ['1111111'] && assertion.project_id in ['22222222', '44444444']",
      "assertion.namespace_id in ['1111111'] && assertion.project_id == '22222222'",
      "assertion.namespace_id in ['1111111'] && assertion.project_path == 'group/app'",
    ]) {
      const broken = mutated((json) => void (provider(json).attribute_condition = condition));
      expect(attributeConditionProblems(broken, expected)).toEqual([expect.stringContaining('project_id')]);
    }
  });

  it('a condition that a disjunction opens up', () => {
    const broken = mutated((json) => {
      provider(json).attribute_condition += " || assertion.namespace_path == 'other'";
    });
    expect(attributeConditionProblems(broken, expected)).toEqual([expect.stringContaining('||')]);
  });

  it('a principalSet for the whole pool', () => {
    const broken = mutated((json) => {
      bindings(json)[0]!.member = 'principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gitlab/*';
    });
    expect(principalSetProblems(broken, expected)).toEqual([expect.stringContaining('/*')]);
  });

  it('a principalSet keyed on a project path', () => {
    const broken = mutated((json) => {
      bindings(json)[1]!.member =
        'principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gitlab/attribute.project_path/group/app';
    });
    expect(principalSetProblems(broken, expected)).toEqual([expect.stringContaining('attribute.project_path')]);
  });

  it('a principalSet for a project that is not configured', () => {
    const broken = mutated((json) => {
      bindings(json)[1]!.member = String(bindings(json)[1]!.member).replace(/\d+$/, '99');
    });
    expect(principalSetProblems(broken, expected)).toEqual([expect.stringContaining('unexpected project 99')]);
  });

  it('any other role on the runner account', () => {
    for (const role of ['roles/aiplatform.admin', 'roles/storage.objectViewer', 'roles/iam.serviceAccountTokenCreator']) {
      const broken = mutated((json) => {
        json.resource!.google_project_iam_member!.extra = { project: 'my-gcp-project', role, member: runnerRef };
      });
      expect(runnerRoleProblems(broken, expected)).toEqual([expect.stringContaining(`runner account gets ${role}`)]);
    }
    const onSecret = mutated((json) => {
      json.resource!.google_secret_manager_secret_iam_member = {
        x: { secret_id: 's', role: 'roles/secretmanager.secretAccessor', member: runnerRef },
      };
    });
    expect(runnerRoleProblems(onSecret, expected)).toEqual([expect.stringContaining('secretAccessor')]);
  });

  it('someone other than a federated project allowed to impersonate the runner', () => {
    const broken = mutated((json) => {
      bindings(json)[0]!.member = 'user:someone@example.com';
    });
    expect(runnerRoleProblems(broken, expected)).toEqual([expect.stringContaining('user:someone@example.com')]);
  });

  it('roles/owner, roles/editor, or project-wide service account use', () => {
    for (const [role, problem] of [
      ['roles/owner', 'grants roles/owner'],
      ['roles/editor', 'grants roles/editor'],
      ['roles/iam.serviceAccountUser', 'on the whole project'],
    ] as const) {
      const broken = mutated((json) => {
        json.resource!.google_project_iam_member!.extra = { project: 'p', role, member: 'group:devs@example.com' };
      });
      expect(broadRoleProblems(broken)).toEqual([expect.stringContaining(problem)]);
    }
  });
});
