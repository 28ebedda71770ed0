import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { isSecretVariable } from './config.js';
import type { AgentSandbox } from './run.js';
import { chooseAgentIdentity } from './workspace/identity.js';
import { killAgentProcesses, prepareWorkspace, removeWorkspace, restrictToRunner } from './workspace/prepare.js';

// The real sandbox for `claude-gitlab-flow run`: who the agent is (from this process and /etc/passwd),
// and the files only root may read while it runs: the checkout (its .git holds the job token), GitLab's
// directory of file-type variables beside it, and every credential file the job's variables name
// (the Vertex template's external-account file and the GitLab ID token it points at).

/** Paths named by secret-looking variables, and the token file a Google external-account file reads. */
export async function credentialPaths(env: NodeJS.ProcessEnv): Promise<string[]> {
  const paths: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value && isAbsolute(value) && isSecretVariable(name)) paths.push(value);
  }
  const google = env.GOOGLE_APPLICATION_CREDENTIALS;
  if (google) {
    const source = await readFile(google, 'utf8')
      .then((text) => (JSON.parse(text) as { credential_source?: { file?: unknown } }).credential_source?.file)
      .catch(() => undefined);
    if (typeof source === 'string' && isAbsolute(source)) paths.push(source);
  }
  return paths;
}

export function createSandbox(input: { projectDir: string; agentUser: string; allowUnisolated: boolean; env: NodeJS.ProcessEnv; log: (message: string) => void }): AgentSandbox {
  const passwd = (() => {
    try {
      return readFileSync('/etc/passwd', 'utf8');
    } catch {
      return null;
    }
  })();
  const identity = chooseAgentIdentity({ processUid: process.getuid?.() ?? null, agentUser: input.agentUser, passwd, allowUnisolated: input.allowUnisolated });
  return {
    identity,
    async prepare() {
      if (identity.kind === 'isolated') {
        const restricted = await restrictToRunner([input.projectDir, `${input.projectDir}.tmp`, ...(await credentialPaths(input.env))]);
        input.log(`root-only while Claude runs: ${restricted.length} path(s)`);
      }
      return prepareWorkspace(input.projectDir, identity);
    },
    stopAgent: () => killAgentProcesses(identity),
    remove: removeWorkspace,
  };
}
