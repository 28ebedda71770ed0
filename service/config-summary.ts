import type { Config } from './config.js';

/** What the log may show of the configuration: no secrets, only whether they are set. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    port: config.port,
    gitlabUrl: config.gitlabUrl,
    webhookSecrets: config.webhookSecrets.length,
    scopedWebhookSecrets: config.scopedWebhookSecrets.map((entry) => entry.scope.text),
    allowedProjects: config.allowedProjects.length > 0 ? config.allowedProjects.map((scope) => scope.text) : 'all',
    authorRunsPerDay: config.authorRunsPerDay,
    projectRunsPerDay: config.projectRunsPerDay,
    triggerToken: config.triggerToken ? 'set' : 'unset (pipelines start as the bot via POST /pipeline)',
    triggerPhrase: config.triggerPhrase,
    triggerLabel: config.triggerLabel ?? 'unset',
    reviewOnReady: config.reviewOnReady,
    debounceMs: config.debounceMs,
    maxConcurrentPipelines: config.maxConcurrentPipelines,
    minAccessLevel: config.minAccessLevel,
    allowConfidential: config.allowConfidential,
    queue: config.google.pubsubTopic ? `pubsub:${config.google.pubsubTopic}` : 'embedded',
    receive: config.google.pubsubSubscription ? `pull:${config.google.pubsubSubscription}` : config.google.pubsubTopic ? 'push' : 'embedded',
    store: config.store,
    statusPage: config.statusToken ? 'on (STATUS_TOKEN set)' : 'off',
  };
}
