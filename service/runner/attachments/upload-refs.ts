// The markdown uploads a request refers to (a pasted screenshot becomes `![name](/uploads/<secret>/<name>)`),
// on this GitLab and this project only: a link to another host or project is never fetched with the bot's
// token. Pure: the text in, the references out.

export interface UploadRef {
  secret: string;
  filename: string;
  /** As written, for the prompt and the note. */
  source: string;
}

const SECRET = '[0-9a-f]{32}';
const NAME = "[^\\s/()\\[\\]<>\"'?#]+";

export function uploadRefs(texts: string[], where: { serverUrl: string; projectPath: string; projectId: number }, max: number): UploadRef[] {
  const server = escapeRegExp(where.serverUrl.replace(/\/+$/, ''));
  const project = escapeRegExp(where.projectPath);
  // `/uploads/…` (relative to the project), `<server>/<project>/uploads/…` and `<server>/-/project/<id>/uploads/…`.
  const pattern = new RegExp(`(?:^|[\\s(<"'])((?:${server}/${project}|${server}/-/project/${where.projectId})?/uploads/(${SECRET})/(${NAME}))`, 'g');
  const found = new Map<string, UploadRef>();
  for (const text of texts) {
    for (const match of text.matchAll(pattern)) {
      const [, source, secret, encoded] = match as unknown as [string, string, string, string];
      const filename = safeDecode(encoded);
      if (!filename || filename.includes('/') || filename.includes('\\') || filename === '.' || filename === '..') continue;
      const key = `${secret}/${filename}`;
      if (!found.has(key)) found.set(key, { secret, filename, source });
      if (found.size >= max) return [...found.values()];
    }
  }
  return [...found.values()];
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
