import type { IncomingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';
import { canReadProject } from '../access.js';
import type { State } from '../state.js';
import { authenticate } from './auth.js';

// Markdown uploads as GitLab serves them to a signed-in member: the web route
// `/<namespace>/<project>/uploads/<secret>/<filename>` (what `/uploads/…` in a description or a comment
// points at), authenticated by PRIVATE-TOKEN like the API. A project the user cannot read answers 404, as
// GitLab does; the API's own upload download needs Maintainer, which a Developer bot is not.

export interface StoredUpload {
  projectId: number;
  secret: string;
  filename: string;
  bytes: Buffer;
  contentType: string;
}

const uploads = new WeakMap<State, Map<string, StoredUpload>>();
const UPLOAD_PATH = /^\/(.+)\/uploads\/([0-9a-f]{32})\/([^/]+)$/;

export function addUpload(state: State, projectId: number, filename: string, bytes: Buffer, contentType: string): { url: string; markdown: string } {
  const secret = randomBytes(16).toString('hex');
  const byKey = uploads.get(state) ?? new Map<string, StoredUpload>();
  uploads.set(state, byKey);
  byKey.set(`${projectId}/${secret}/${filename}`, { projectId, secret, filename, bytes, contentType });
  const url = `/uploads/${secret}/${encodeURIComponent(filename)}`;
  return { url, markdown: `![${filename}](${url})` };
}

/** The answer to a GET on an upload's web route, or null when the path is not one. */
export function serveUpload(state: State, pathname: string, headers: IncomingHttpHeaders): { status: number; body: Buffer; contentType: string } | null {
  const match = UPLOAD_PATH.exec(pathname);
  if (!match) return null;
  const notFound = { status: 404, body: Buffer.from('Not Found\n'), contentType: 'text/plain' };
  const [, projectPath, secret, rawName] = match as unknown as [string, string, string, string];
  let user;
  try {
    user = authenticate(state, 'GET', headers, {}).user;
  } catch {
    return notFound;
  }
  const project = [...state.projects.values()].find((candidate) => candidate.path === projectPath);
  if (!project || !canReadProject(project, user)) return notFound;
  const upload = uploads.get(state)?.get(`${project.id}/${secret}/${decodeURIComponent(rawName)}`);
  return upload ? { status: 200, body: upload.bytes, contentType: upload.contentType } : notFound;
}
