import { parseConfig, type Config } from '../config.js';
import { pass, warn, type CheckResult } from './result.js';

// The service's own configuration rules, with one allowance: no webhook secret is needed to run doctor.
// GitLab never shows a webhook's secret, so doctor has nothing to compare it with, and an operator on a
// laptop should not have to fetch it from Secret Manager to diagnose the rest.

/** Long enough for parseConfig's 16-character rule; never sent anywhere. */
const PLACEHOLDER_SECRET = 'doctor-does-not-use-the-webhook-secret';

export function readDoctorConfig(env: Record<string, string | undefined>): { config: Config; result: CheckResult } {
  const hasSecret = Boolean(env.GITLAB_WEBHOOK_SECRET?.trim() || env.GITLAB_WEBHOOK_SECRETS?.trim());
  // Throws ConfigError, naming every bad setting, exactly as `serve` would.
  const config = parseConfig(hasSecret ? env : { ...env, GITLAB_WEBHOOK_SECRET: PLACEHOLDER_SECRET });
  const result = hasSecret
    ? pass('config', 'the configuration is valid (the same rules as the service)')
    : warn(
        'config',
        'the configuration is valid, but GITLAB_WEBHOOK_SECRET is not set here: doctor does not need it, the service does',
        'set GITLAB_WEBHOOK_SECRET (or GITLAB_WEBHOOK_SECRETS) wherever the service runs',
      );
  return { config, result };
}
