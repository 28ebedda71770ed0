// What a job sees of a pipeline variable: GitLab (Rails and the runner) expands `$NAME` and `${NAME}`
// inside variable values from the job's other variables, an unknown name becoming empty, and `$$` is a
// literal `$` (https://docs.gitlab.com/ci/variables/#use-the--character-in-cicd-variables). A value
// that should arrive as written must therefore be sent with every `$` doubled. Windows `%NAME%` is not
// modelled (only shell and PowerShell executors on Windows see it).

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

export function expandVariables(value: string, variables: Readonly<Record<string, string>>): string {
  return value.replace(REFERENCE, (match, braced: string | undefined, bare: string | undefined) => {
    if (match === '$$') return '$';
    return variables[(braced ?? bare) as string] ?? '';
  });
}
