import type { GitLabConnection } from '../../gitlab/resources.js';

// One upload from the project's web route (`<gitlab>/<project>/uploads/<secret>/<name>`), which a Developer
// may read (the API's download needs Maintainer). The token goes to the configured GitLab only, and a
// redirect is never followed: it would be a sign-in page, or somewhere else.

export async function downloadUpload(
  connection: GitLabConnection,
  projectPath: string,
  secret: string,
  filename: string,
  maxBytes: number,
): Promise<{ ok: true; bytes: Buffer } | { ok: false; reason: string }> {
  const url = `${connection.baseUrl.replace(/\/+$/, '')}/${projectPath.split('/').map(encodeURIComponent).join('/')}/uploads/${secret}/${encodeURIComponent(filename)}`;
  const doFetch = connection.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: { 'private-token': connection.token },
      redirect: 'manual',
      signal: AbortSignal.timeout(connection.timeoutMs ?? 10_000),
    });
  } catch (error) {
    return { ok: false, reason: `could not be downloaded (${(error as Error).message})` };
  }
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    return { ok: false, reason: `GitLab answered ${response.status}` };
  }
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body.cancel().catch(() => undefined);
    return { ok: false, reason: `over ${maxBytes} bytes` };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > maxBytes) return { ok: false, reason: `over ${maxBytes} bytes` };
    chunks.push(Buffer.from(chunk));
  }
  return { ok: true, bytes: Buffer.concat(chunks, size) };
}
