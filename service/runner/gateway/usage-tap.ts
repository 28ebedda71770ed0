import type { TokenCounts } from './prices.js';
import { applyStreamEvent, usageOfJson } from './message-usage.js';
import { eventStreamTap } from './eventstream-tap.js';
import { sseTap, type Tap } from './sse-tap.js';
import { noTokens } from './usage.js';

/** A JSON body is small (one message); past this much the gateway stops copying it and counts nothing. */
const MAX_JSON_COPY = 8 * 1024 * 1024;

/** Watches a response body as it streams past and reports the message's tokens once, at its end. */
export function usageTap(contentType: string, onTokens: (tokens: TokenCounts) => void): Tap {
  let tokens = noTokens();
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'text/event-stream' || type === 'application/vnd.amazon.eventstream') {
    const onEvent = (event: unknown) => {
      tokens = applyStreamEvent(tokens, event);
    };
    const inner = type === 'text/event-stream' ? sseTap(onEvent) : eventStreamTap(onEvent);
    return {
      write: (chunk) => inner.write(chunk),
      end: () => {
        inner.end();
        onTokens(tokens);
      },
    };
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  return {
    write(chunk) {
      size += chunk.length;
      if (size <= MAX_JSON_COPY) chunks.push(chunk);
    },
    end() {
      if (size > MAX_JSON_COPY || type !== 'application/json') return onTokens(noTokens());
      try {
        onTokens(usageOfJson(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      } catch {
        onTokens(noTokens());
      }
    },
  };
}
