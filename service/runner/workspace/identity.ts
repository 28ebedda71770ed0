// Who the agent runs as, decided from facts about the job (pure). Claude Code is untrusted; the only
// boundary that holds against a hostile model with a shell is the kernel's: a different user, with no
// credential in its environment and no access to the runner's files. That needs the runner to be root
// and a user to switch to (the image's `claude-agent`, or CLAUDE_FLOW_AGENT_USER as a name or uid:gid).

export type AgentIdentity =
  | { kind: 'isolated'; uid: number; gid: number; name: string }
  | { kind: 'unisolated'; reason: string; allowedByProject: boolean };

export interface IdentityFacts {
  /** process.getuid(): 0 when the job runs as root. */
  processUid: number | null;
  /** CLAUDE_FLOW_AGENT_USER, or the image's default. */
  agentUser: string;
  /** The text of /etc/passwd, or null when it cannot be read. */
  passwd: string | null;
  /** CLAUDE_FLOW_ALLOW_UNISOLATED=true. */
  allowUnisolated: boolean;
}

export const DEFAULT_AGENT_USER = 'claude-agent';

export function lookUpUser(passwd: string | null, name: string): { uid: number; gid: number } | null {
  for (const line of (passwd ?? '').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined && /^\d+$/.test(uid) && /^\d+$/.test(gid)) return { uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

export function chooseAgentIdentity(facts: IdentityFacts): AgentIdentity {
  const unisolated = (reason: string): AgentIdentity => ({ kind: 'unisolated', reason, allowedByProject: facts.allowUnisolated });
  if (facts.processUid === null) return unisolated('this platform cannot switch users');
  if (facts.processUid !== 0) return unisolated(`the job runs as uid ${facts.processUid}, not root, so it cannot start Claude Code as a separate user`);
  const numeric = /^(\d+):(\d+)$/.exec(facts.agentUser);
  const user = numeric ? { uid: Number(numeric[1]), gid: Number(numeric[2]) } : lookUpUser(facts.passwd, facts.agentUser);
  if (!user) return unisolated(`the image has no user \`${facts.agentUser}\` to run Claude Code as`);
  if (user.uid === 0 || user.gid === 0) return unisolated(`\`${facts.agentUser}\` is root`);
  return { kind: 'isolated', uid: user.uid, gid: user.gid, name: facts.agentUser };
}

/** What the note says when the run could not be isolated, and how to fix it. */
export function isolationNotice(identity: AgentIdentity): string | null {
  if (identity.kind === 'isolated') return null;
  const fix = 'Run the job as root with the claude-gitlab-flow image (the templates set `image: docker: user: root`); the runner then starts Claude Code as the unprivileged `claude-agent` user.';
  if (identity.allowedByProject) return `⚠️ Claude Code ran without isolation (${identity.reason}; \`CLAUDE_FLOW_ALLOW_UNISOLATED=true\`): it could read this job's credentials. ${fix}`;
  return `Claude answered without changing files or running commands: ${identity.reason}. ${fix}`;
}
