// doctor's own command line, parsed purely: the configuration itself comes from the environment, as the
// service reads it.

export interface DoctorOptions {
  json: boolean;
  /** Extra projects to check, besides ALLOWED_PROJECTS (ids or paths). */
  projects: string[];
  /** The service's root or webhook URL, which a project's webhook must point at. */
  serviceUrl: string | null;
  help: boolean;
}

export const DOCTOR_USAGE = [
  'usage: claude-gitlab-flow doctor [--json] [--project <id|path>]... [--service-url <url>]',
  "  checks GitLab (token, bot, each project's role, webhook, CI template, variables, trigger token)",
  '  and Google (Pub/Sub topic, subscription, dead letters, push audience, Firestore) as configured;',
  '  exits 1 when any check fails. Reads the same environment as `serve`.',
].join('\n');

export function parseDoctorArgs(argv: readonly string[]): DoctorOptions | { error: string } {
  const options: DoctorOptions = { json: false, projects: [], serviceUrl: null, help: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--json') options.json = true;
    else if (flag === '-h' || flag === '--help') options.help = true;
    else if (flag === '--project') {
      const project = value()?.trim();
      if (!project) return { error: '--project needs a project id or path' };
      options.projects.push(project.replace(/^\/+|\/+$/g, ''));
    } else if (flag === '--service-url') {
      const url = value()?.trim();
      if (!url || !/^https?:\/\/[^/]/.test(url))
        return { error: '--service-url needs a URL such as https://claude-gitlab-flow-123.europe-west1.run.app' };
      options.serviceUrl = url;
    } else return { error: `unknown argument ${arg}` };
  }
  return options;
}
