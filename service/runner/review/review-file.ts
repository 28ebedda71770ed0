import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

// The structured review the agent hands back: one JSON file it writes into an output directory the
// runner made for this run (and nothing else of the agent's is read). The agent is untrusted: the file
// is read only if it is a regular file of bounded size (never through a symlink), parsed with zod, and
// each comment is checked on its own, so one bad comment costs only itself.

export const REVIEW_FILE = 'review.json';
export const MAX_REVIEW_FILE_BYTES = 256 * 1024;
/** Comments past this are not even looked at; the runner's own limit (CLAUDE_FLOW_MAX_REVIEW_COMMENTS) is lower. */
const MAX_LISTED_COMMENTS = 200;

export const reviewCommentSchema = z.object({
  path: z
    .string()
    .min(1)
    .max(1000)
    .refine((path) => !path.startsWith('/') && !path.split('/').includes('..') && !/[\0\r\n]/.test(path), 'must be a path of the diff'),
  line: z.number().int().positive(),
  side: z.enum(['new', 'old']).default('new'),
  body: z.string().min(1),
  /** Replaces the line: posted as a GitLab suggestion. */
  suggestion: z.string().optional(),
});

export type ReviewComment = z.infer<typeof reviewCommentSchema>;

export interface AgentReview {
  summary: string;
  comments: ReviewComment[];
  /** Comments the schema refused, with why: reported in the summary, never posted. */
  refused: { index: number; reason: string; path: string | null; line: number | null }[];
  /** Comments past MAX_LISTED_COMMENTS, ignored. */
  ignored: number;
}

const fileSchema = z.object({ summary: z.string().default(''), comments: z.array(z.unknown()).default([]) });

export function parseReview(text: string): { ok: true; review: AgentReview } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: `${REVIEW_FILE} is not valid JSON` };
  }
  const top = fileSchema.safeParse(raw);
  if (!top.success) return { ok: false, error: `${REVIEW_FILE}: ${top.error.issues[0]?.path.join('.') || 'the file'} ${top.error.issues[0]?.message ?? 'is invalid'}` };
  const review: AgentReview = { summary: top.data.summary, comments: [], refused: [], ignored: Math.max(0, top.data.comments.length - MAX_LISTED_COMMENTS) };
  top.data.comments.slice(0, MAX_LISTED_COMMENTS).forEach((entry, index) => {
    const parsed = reviewCommentSchema.safeParse(entry);
    if (parsed.success) review.comments.push(parsed.data);
    else {
      const issue = parsed.error.issues[0];
      const record = (entry && typeof entry === 'object' ? entry : {}) as Record<string, unknown>;
      review.refused.push({
        index,
        reason: `${issue?.path.join('.') || 'comment'}: ${issue?.message ?? 'invalid'}`,
        path: typeof record.path === 'string' ? record.path.slice(0, 200) : null,
        line: typeof record.line === 'number' && Number.isInteger(record.line) ? record.line : null,
      });
    }
  });
  return { ok: true, review };
}

/** The review file, or why there is none to use. Never follows a symlink, never reads past the bound. */
export async function readReviewFile(outputDir: string): Promise<{ ok: true; review: AgentReview } | { ok: false; error: string }> {
  const path = join(outputDir, REVIEW_FILE);
  const info = await lstat(path).catch(() => null);
  if (!info) return { ok: false, error: `Claude wrote no ${REVIEW_FILE}` };
  if (!info.isFile()) return { ok: false, error: `${REVIEW_FILE} is not a regular file` };
  if (info.size > MAX_REVIEW_FILE_BYTES) return { ok: false, error: `${REVIEW_FILE} has ${info.size.toLocaleString('en-US')} bytes; at most ${MAX_REVIEW_FILE_BYTES.toLocaleString('en-US')} are read` };
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
  if (!handle) return { ok: false, error: `${REVIEW_FILE} could not be opened` };
  try {
    const buffer = Buffer.alloc(MAX_REVIEW_FILE_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_REVIEW_FILE_BYTES) return { ok: false, error: `${REVIEW_FILE} grew past ${MAX_REVIEW_FILE_BYTES.toLocaleString('en-US')} bytes` };
    return parseReview(buffer.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await handle.close();
  }
}
