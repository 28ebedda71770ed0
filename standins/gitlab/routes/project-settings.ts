import { accessLevel, findProject } from '../access.js';
import { forbidden } from '../http/errors.js';
import { paginate } from '../http/pagination.js';
import { json, requireUser, type Ctx, type Router } from '../http/router.js';
import { AccessLevel, type Project, type Webhook } from '../types.js';

// Two Maintainer-only reads of a project's settings: its webhooks (https://docs.gitlab.com/api/project_webhooks/,
// `authorize! :admin_project`) and its CI/CD variables (https://docs.gitlab.com/api/project_level_variables/,
// `authorize! :admin_cicd_variables`). A non-member of a private project gets the project's 404 first.

function maintainedProject(ctx: Ctx): Project {
  requireUser(ctx);
  const project = findProject(ctx.services.state, ctx.pathParams.id as string, ctx.user);
  if (accessLevel(project, ctx.user) < AccessLevel.maintainer) throw forbidden();
  return project;
}

export function registerProjectSettingsRoutes(router: Router): void {
  router.get('/projects/:id/hooks', (ctx) => {
    const project = maintainedProject(ctx);
    const hooks = ctx.services.state.webhooks.filter((hook) => hook.projectId === project.id);
    const page = paginate(hooks, ctx.params, ctx.url);
    return json(200, page.items.map(hookEntity), page.headers);
  });

  router.get('/projects/:id/variables', (ctx) => {
    const project = maintainedProject(ctx);
    const variables = [...project.ciVariables.entries()];
    const page = paginate(variables, ctx.params, ctx.url);
    return json(
      200,
      page.items.map(([key, value]) => variableEntity(key, value)),
      page.headers,
    );
  });
}

/** lib/api/entities/project_hook.rb; the secret token is never shown. Events the stand-in cannot send are off. */
function hookEntity(hook: Webhook) {
  return {
    id: hook.id,
    url: hook.url,
    name: null,
    description: null,
    project_id: hook.projectId,
    created_at: new Date(0).toISOString(),
    push_events: false,
    push_events_branch_filter: null,
    tag_push_events: false,
    merge_requests_events: hook.mergeRequestsEvents,
    repository_update_events: false,
    issues_events: hook.issuesEvents,
    confidential_issues_events: hook.issuesEvents,
    note_events: hook.noteEvents,
    confidential_note_events: hook.confidentialNoteEvents,
    pipeline_events: hook.pipelineEvents,
    wiki_page_events: false,
    deployment_events: false,
    job_events: false,
    releases_events: false,
    emoji_events: false,
    resource_access_token_events: false,
    enable_ssl_verification: hook.enableSslVerification,
    alert_status: 'executable',
    disabled_until: null,
    url_variables: [],
    custom_webhook_template: null,
    custom_headers: [],
  };
}

/** lib/api/entities/ci/variable.rb */
function variableEntity(key: string, value: string) {
  return {
    variable_type: 'env_var',
    key,
    value,
    protected: false,
    masked: false,
    hidden: false,
    raw: false,
    environment_scope: '*',
    description: null,
  };
}
