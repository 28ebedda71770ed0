// GitLab expands `$NAME` and `${NAME}` inside pipeline variable values before the job sees them, and
// `$$` is its documented escape for a literal `$`
// (https://docs.gitlab.com/ci/variables/#use-the--character-in-cicd-variables). Our values carry text
// anyone can write (titles, notes): unescaped, `${GITLAB_TOKEN}` in a title would reach the job holding
// the token. Every value we send is escaped; everything we read back from GitLab is un-escaped.

/** A value GitLab will hand to the job exactly as given. */
export function escapeVariableValue(value: string): string {
  return value.replaceAll('$', () => '$$');
}

/** The inverse of escapeVariableValue, for values GitLab stored as we sent them. */
export function unescapeVariableValue(value: string): string {
  return value.replaceAll('$$', () => '$');
}

export function escapeVariables(variables: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, escapeVariableValue(value)]));
}
