// Bot users that GitLab creates for project and group access tokens and service accounts, and its own
// internal bots. The worker checks the user's `bot` flag through the API as well; this only saves a queue
// round trip for the common automated authors. Formats: docs/user/project/settings/project_access_tokens.md
// (`project_{id}_bot_{random}`, older `project_{id}_bot{n}`), service accounts (`service_account_…`).
const ACCESS_TOKEN_BOT = /^(?:project|group)_\d+_bot(?:_[0-9a-z]+|\d*)$/i;
const SERVICE_ACCOUNT = /^service_account_/i;
const INTERNAL_BOTS = new Set(['alert-bot', 'support-bot', 'ghost', 'visual-review-bot', 'gitlab-migration-bot', 'gitlab-security-bot']);

export function isGitlabBotUsername(username: string): boolean {
  return ACCESS_TOKEN_BOT.test(username) || SERVICE_ACCOUNT.test(username) || INTERNAL_BOTS.has(username.toLowerCase());
}
