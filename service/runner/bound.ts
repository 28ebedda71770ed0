// Every part of the prompt has a size budget, and a cut is always announced in the text itself, so
// neither the model nor a person reading the prompt mistakes a truncated thread for the whole one.

export interface Bounded {
  text: string;
  cut: boolean;
}

export function cutNotice(what: string, total: number, kept: number): string {
  return `[cut by claude-gitlab-flow: ${what} has ${total.toLocaleString('en-US')} characters; ${kept.toLocaleString('en-US')} are shown]`;
}

/** Keeps the head (descriptions, diffs) or the tail (the most recent part of a long text). */
export function boundText(text: string, limit: number, what: string, keep: 'head' | 'tail' = 'head'): Bounded {
  if (text.length <= limit) return { text, cut: false };
  const kept = keep === 'head' ? text.slice(0, limit) : text.slice(text.length - limit);
  const notice = cutNotice(what, text.length, limit);
  return { text: keep === 'head' ? `${kept}\n${notice}` : `${notice}\n${kept}`, cut: true };
}

/**
 * Fits whole items into a budget, newest first (the items are in chronological order), so a long thread
 * loses its oldest notes rather than its latest ones. Items larger than the budget are cut themselves.
 */
export function boundItems<T>(items: readonly T[], budget: number, sizeOf: (item: T) => number): { kept: T[]; dropped: number } {
  const kept: T[] = [];
  let used = 0;
  for (let index = items.length - 1; index >= 0; index -= 1) {
    const item = items[index]!;
    const size = sizeOf(item);
    if (used + size > budget) break;
    kept.unshift(item);
    used += size;
  }
  return { kept, dropped: items.length - kept.length };
}
