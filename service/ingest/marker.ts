// Every note the service (or its runner) posts carries this invisible marker, so that a note of ours that
// quotes or mentions the trigger phrase can never start another run, even if the bot user is renamed or
// `selfUsername` is not configured. It is an HTML comment: GitLab renders nothing for it.
export const SERVICE_NOTE_MARKER = '<!-- claude-gitlab-flow -->';

export function hasServiceMarker(body: string): boolean {
  return body.includes(SERVICE_NOTE_MARKER);
}
