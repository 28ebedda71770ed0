import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { PermissionMode, SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { assistantText, assistantToolUse, init, resultError, resultSuccess, toolResult, type Session } from './messages.js';

// A stand-in for the `claude` executable in print mode: it takes the real CLI's flags (and rejects
// unknown ones, as the CLI does), reads the prompt from its argument or stdin, checks that the model
// provider's credentials are plumbed the way Claude Code reads them, and writes SDKMessage-shaped
// stream-json. What it does is scripted by environment:
//   FAKE_CLAUDE_SCENARIO  answer-only (default) | edit-file | fail | crash | max-turns | slow
//   FAKE_CLAUDE_ANSWER    the final answer text
//   FAKE_CLAUDE_EDIT_PATH file to write in edit-file (default CLAUDE_CHANGE.md, relative to cwd)
//   FAKE_CLAUDE_IGNORE_PERMISSIONS=1  write even when Write is not allowed (a shell-side write)
//   FAKE_CLAUDE_STEP_DELAY_MS  pause between messages; FAKE_CLAUDE_SLOW_MS for slow (default 60000)
//   FAKE_CLAUDE_RECORD    append one JSON line per invocation: args, prompt, cwd, provider, env facts

const VALUE_FLAGS = new Set([
  '--output-format',
  '--input-format',
  '--permission-mode',
  '--allowedTools',
  '--allowed-tools',
  '--disallowedTools',
  '--disallowed-tools',
  '--max-turns',
  '--model',
  '--fallback-model',
  '--append-system-prompt',
  '--system-prompt',
  '--setting-sources',
  '--settings',
  '--mcp-config',
  '--add-dir',
  '--session-id',
  '--max-budget-usd',
  '--debug',
]);
const BOOLEAN_FLAGS = new Set(['-p', '--print', '--verbose', '--include-partial-messages', '--no-session-persistence', '--strict-mcp-config', '--dangerously-skip-permissions']);
const PERMISSION_MODES = new Set<PermissionMode>(['default', 'acceptEdits', 'bypassPermissions', 'plan', 'dontAsk', 'auto']);

interface Parsed {
  flags: Map<string, string[]>;
  positional: string[];
}

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function parseArgs(argv: string[]): Parsed {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const canonical = name === '--allowed-tools' ? '--allowedTools' : name === '--disallowed-tools' ? '--disallowedTools' : name === '--print' ? '-p' : name;
    if (BOOLEAN_FLAGS.has(name)) {
      flags.set(canonical, ['true']);
    } else if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) fail(`error: option '${name} <value>' argument missing`);
      flags.set(canonical, [...(flags.get(canonical) ?? []), value]);
    } else if (name.startsWith('-')) {
      fail(`error: unknown option '${name}'`);
    } else {
      positional.push(arg);
    }
  }
  return { flags, positional };
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

/** The credential checks Claude Code's providers would fail on, as a message, or null when fine. */
function providerProblem(env: NodeJS.ProcessEnv): { provider: string; problem: string | null } {
  if (env.CLAUDE_CODE_USE_VERTEX === '1') {
    if (!env.ANTHROPIC_VERTEX_PROJECT_ID) return { provider: 'vertex', problem: 'ANTHROPIC_VERTEX_PROJECT_ID is not set' };
    if (!env.CLOUD_ML_REGION) return { provider: 'vertex', problem: 'CLOUD_ML_REGION is not set' };
    const path = env.GOOGLE_APPLICATION_CREDENTIALS;
    if (!path || !existsSync(path)) return { provider: 'vertex', problem: 'Could not load the default credentials (GOOGLE_APPLICATION_CREDENTIALS)' };
    let credentials: Record<string, unknown>;
    try {
      credentials = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch {
      return { provider: 'vertex', problem: 'The credentials file is not JSON' };
    }
    const source = credentials.credential_source as { file?: string } | undefined;
    if (credentials.type !== 'external_account') return { provider: 'vertex', problem: 'credentials type is not external_account' };
    if (!/^\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/[^/]+\/providers\/[^/]+$/.test(String(credentials.audience))) {
      return { provider: 'vertex', problem: `audience ${String(credentials.audience)} is not a workload identity provider` };
    }
    if (credentials.subject_token_type !== 'urn:ietf:params:oauth:token-type:jwt') return { provider: 'vertex', problem: 'subject_token_type is not a JWT' };
    if (credentials.token_url !== 'https://sts.googleapis.com/v1/token') return { provider: 'vertex', problem: 'token_url is not Google STS' };
    if (!source?.file || !existsSync(source.file) || !readFileSync(source.file, 'utf8').trim()) return { provider: 'vertex', problem: 'credential_source.file is missing or empty' };
    const impersonation = credentials.service_account_impersonation_url;
    if (impersonation !== undefined && !/^https:\/\/iamcredentials\.googleapis\.com\/v1\/projects\/-\/serviceAccounts\/[^/]+@[^/]+:generateAccessToken$/.test(String(impersonation))) {
      return { provider: 'vertex', problem: `service_account_impersonation_url ${String(impersonation)} is malformed` };
    }
    return { provider: 'vertex', problem: null };
  }
  if (env.CLAUDE_CODE_USE_BEDROCK === '1') {
    // The AWS SDK's own words when the default chain finds nothing.
    if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return { provider: 'bedrock', problem: 'Could not load credentials from any providers' };
    if (!env.AWS_REGION) return { provider: 'bedrock', problem: 'Region is missing' };
    return { provider: 'bedrock', problem: null };
  }
  // The CLI's words with no key at all (a wrong key gets "Invalid API key · Please run /login").
  return { provider: 'anthropic', problem: env.ANTHROPIC_API_KEY ? null : 'Not logged in · Please run /login' };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const { flags, positional } = parseArgs(process.argv.slice(2));
  const env = process.env;
  if (!flags.has('-p')) fail('fake claude: only print mode (-p) is supported');
  const outputFormat = flags.get('--output-format')?.at(-1) ?? 'text';
  if (outputFormat === 'stream-json' && !flags.has('--verbose')) fail('Error: When using --print, --output-format=stream-json requires --verbose');
  const permissionMode = (flags.get('--permission-mode')?.at(-1) ?? 'default') as PermissionMode;
  if (!PERMISSION_MODES.has(permissionMode)) fail(`error: option '--permission-mode <mode>' argument '${permissionMode}' is invalid.`);
  const maxTurnsRaw = flags.get('--max-turns')?.at(-1);
  const maxTurns = maxTurnsRaw === undefined ? Infinity : Number(maxTurnsRaw);
  if (!Number.isInteger(maxTurns) && maxTurns !== Infinity) fail('Error: --max-turns must be a positive integer');
  const allowed = (flags.get('--allowedTools') ?? []).flatMap((value) => value.split(/[,\s]+(?![^()]*\))/)).filter(Boolean);

  const prompt = positional.length > 0 ? positional.join(' ') : readStdin();
  if (!prompt.trim()) fail('Error: Input must be provided either through stdin or as a prompt argument when using --print');

  const { provider, problem } = providerProblem(env);
  if (env.FAKE_CLAUDE_RECORD) {
    mkdirSync(dirname(env.FAKE_CLAUDE_RECORD), { recursive: true });
    const record = {
      args: process.argv.slice(2),
      prompt,
      cwd: process.cwd(),
      provider,
      problem,
      env: { GITLAB_TOKEN: 'GITLAB_TOKEN' in env, CI_JOB_TOKEN: 'CI_JOB_TOKEN' in env, ANTHROPIC_API_KEY: 'ANTHROPIC_API_KEY' in env, AI_FLOW_INPUT: 'AI_FLOW_INPUT' in env },
      googleCredentials: provider === 'vertex' && env.GOOGLE_APPLICATION_CREDENTIALS && existsSync(env.GOOGLE_APPLICATION_CREDENTIALS) ? JSON.parse(readFileSync(env.GOOGLE_APPLICATION_CREDENTIALS, 'utf8')) as unknown : null,
      googleCredentialsPath: env.GOOGLE_APPLICATION_CREDENTIALS ?? null,
      aws: provider === 'bedrock' ? { accessKeyId: env.AWS_ACCESS_KEY_ID ?? null, region: env.AWS_REGION ?? null } : null,
    };
    appendFileSync(env.FAKE_CLAUDE_RECORD, `${JSON.stringify(record)}\n`);
  }

  const session: Session = { sessionId: randomUUID(), model: flags.get('--model')?.at(-1) ?? 'claude-sonnet-4-5', cwd: process.cwd() };
  const stepDelay = Number(env.FAKE_CLAUDE_STEP_DELAY_MS ?? 0);
  const started = Date.now();
  let turns = 0;
  const emit = async (message: SDKMessage) => {
    if (outputFormat === 'stream-json') process.stdout.write(`${JSON.stringify(message)}\n`);
    else if (outputFormat === 'json' && message.type === 'result') process.stdout.write(`${JSON.stringify(message)}\n`);
    else if (outputFormat === 'text' && message.type === 'result' && 'result' in message) process.stdout.write(`${message.result}\n`);
    if (message.type === 'assistant') turns += 1;
    if (stepDelay > 0) await sleep(stepDelay);
  };
  const totals = () => ({ turns, costUsd: 0.0123 * Math.max(turns, 1), durationMs: Date.now() - started + 1000 });
  // The tool names Claude Code 2.1.332 reports in its init message (a subset).
  const tools = ['Task', 'Bash', 'Edit', 'Glob', 'Grep', 'NotebookEdit', 'Read', 'TaskCreate', 'TaskUpdate', 'WebFetch', 'WebSearch', 'Write'];

  await emit(init(session, tools, permissionMode, problem ? 'none' : provider === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'none'));
  if (problem) {
    // What the CLI does when the provider refuses: the message as an error result, exit status 1.
    const text = provider === 'anthropic' ? problem : `API Error: ${problem}`;
    await emit({ ...assistantText(session, text), error: 'authentication_failed' as const });
    await emit(resultSuccess(session, text, totals(), true));
    process.exitCode = 1;
    return;
  }

  const scenario = env.FAKE_CLAUDE_SCENARIO ?? 'answer-only';
  const answer = env.FAKE_CLAUDE_ANSWER ?? 'Here is my answer: everything looks fine.';
  switch (scenario) {
    case 'answer-only': {
      await emit(assistantToolUse(session, 'toolu_read_1', 'Read', { file_path: join(process.cwd(), 'README.md') }));
      await emit(toolResult(session, 'toolu_read_1', '# README'));
      await emit(assistantText(session, answer));
      await emit(resultSuccess(session, answer, totals()));
      return;
    }
    case 'edit-file': {
      const relative = env.FAKE_CLAUDE_EDIT_PATH ?? 'CLAUDE_CHANGE.md';
      const path = isAbsolute(relative) ? relative : join(process.cwd(), relative);
      const content = `Changed by fake claude at ${new Date().toISOString()}\n`;
      await emit(assistantToolUse(session, 'toolu_write_1', 'Write', { file_path: path, content }));
      if (allowed.includes('Write') || env.FAKE_CLAUDE_IGNORE_PERMISSIONS === '1') {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, content);
        await emit(toolResult(session, 'toolu_write_1', `File created successfully at: ${path}`));
      } else {
        await emit(toolResult(session, 'toolu_write_1', 'Claude requested permissions to write to this file, but you haven\'t granted it yet.', true));
      }
      await emit(assistantText(session, answer));
      await emit(resultSuccess(session, answer, totals()));
      return;
    }
    case 'fail': {
      await emit(assistantText(session, 'Let me look into this.'));
      process.stderr.write('API Error: 500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}\n');
      await emit(resultError(session, 'error_during_execution', totals(), ['API Error: 500 Internal server error']));
      process.exitCode = 1;
      return;
    }
    case 'crash': {
      process.stderr.write('fake claude: something went badly wrong\n');
      process.exitCode = 3;
      return;
    }
    case 'max-turns': {
      const limit = Number.isFinite(maxTurns) ? maxTurns : 3;
      for (let turn = 1; turn <= limit; turn += 1) {
        await emit(assistantToolUse(session, `toolu_grep_${turn}`, 'Grep', { pattern: `needle${turn}` }));
        await emit(toolResult(session, `toolu_grep_${turn}`, 'No matches found'));
      }
      await emit(resultError(session, 'error_max_turns', totals()));
      process.exitCode = 1;
      return;
    }
    case 'slow': {
      await emit(assistantText(session, 'Thinking for a long time…'));
      await sleep(Number(env.FAKE_CLAUDE_SLOW_MS ?? 60_000));
      await emit(resultSuccess(session, answer, totals()));
      return;
    }
    default:
      fail(`fake claude: unknown FAKE_CLAUDE_SCENARIO ${scenario}`);
  }
}

await main();
