import { describe, expect, it } from 'vitest';
import { eventStreamTap } from '../../../service/runner/gateway/eventstream-tap.js';
import { sseTap } from '../../../service/runner/gateway/sse-tap.js';
import { usageTap } from '../../../service/runner/gateway/usage-tap.js';
import { eventStreamFrame } from '../../../standins/model/bedrock.js';
import { turnEvents } from '../../../standins/model/standin.js';

const events = turnEvents(
  { blocks: [{ type: 'text', text: 'Hi ✓' }], usage: { input_tokens: 321, output_tokens: 45 } },
  'msg_1',
  'm'
);
const sse = Buffer.from(
  events.map((event) => `event: ${event.type}\r\ndata: ${JSON.stringify(event)}\r\n\r\n`).join('')
);
const frames = Buffer.concat(events.map(eventStreamFrame));

/** Feeds bytes in pieces of every size from 1 up, so splits land inside lines, characters and frames. */
function feedInPieces(bytes: Buffer, size: number, tap: { write(chunk: Uint8Array): void; end(): void }) {
  for (let at = 0; at < bytes.length; at += size) tap.write(bytes.subarray(at, at + size));
  tap.end();
}

describe('the taps', () => {
  for (const size of [1, 2, 3, 7, 64, 100_000]) {
    it(`read SSE and event-stream events whole, in pieces of ${size} bytes`, () => {
      const fromSse: unknown[] = [];
      feedInPieces(
        sse,
        size,
        sseTap((event) => fromSse.push(event))
      );
      expect(fromSse).toEqual(events);
      const fromFrames: unknown[] = [];
      feedInPieces(
        frames,
        size,
        eventStreamTap((event) => fromFrames.push(event))
      );
      expect(fromFrames).toEqual(events);
    });
  }

  it.each([
    ['text/event-stream; charset=utf-8', sse],
    ['application/vnd.amazon.eventstream', frames],
  ])('count a %s stream: input from message_start, output from message_delta', (type, bytes) => {
    const counted: unknown[] = [];
    feedInPieces(
      bytes,
      5,
      usageTap(type, (tokens) => counted.push(tokens))
    );
    expect(counted).toEqual([
      {
        inputTokens: 321,
        outputTokens: 45,
        cacheCreationInputTokens: 0,
        cacheCreation1hInputTokens: 0,
        cacheReadInputTokens: 0,
      },
    ]);
  });

  it('count a JSON message, with cache tokens; count_tokens answers cost nothing', () => {
    const message = {
      type: 'message',
      usage: {
        input_tokens: 10,
        output_tokens: 20,
        cache_creation_input_tokens: 30,
        cache_read_input_tokens: 40,
        cache_creation: { ephemeral_1h_input_tokens: 5 },
      },
    };
    const counted: unknown[] = [];
    feedInPieces(
      Buffer.from(JSON.stringify(message)),
      4,
      usageTap('application/json', (tokens) => counted.push(tokens))
    );
    feedInPieces(
      Buffer.from('{"input_tokens":5000}'),
      4,
      usageTap('application/json', (tokens) => counted.push(tokens))
    );
    expect(counted).toEqual([
      {
        inputTokens: 10,
        outputTokens: 20,
        cacheCreationInputTokens: 30,
        cacheCreation1hInputTokens: 5,
        cacheReadInputTokens: 40,
      },
      {
        inputTokens: 0,
        outputTokens: 0,
        cacheCreationInputTokens: 0,
        cacheCreation1hInputTokens: 0,
        cacheReadInputTokens: 0,
      },
    ]);
  });

  it('keep what a cut stream counted, and survive bytes they cannot read', () => {
    const counted: Array<{ inputTokens: number; outputTokens: number }> = [];
    feedInPieces(
      sse.subarray(0, sse.indexOf('content_block_stop')),
      9,
      usageTap('text/event-stream', (tokens) => counted.push(tokens))
    );
    feedInPieces(
      Buffer.concat([frames.subarray(0, 40), Buffer.alloc(64, 7)]),
      9,
      usageTap('application/vnd.amazon.eventstream', (tokens) => counted.push(tokens))
    );
    expect(counted.map(({ inputTokens, outputTokens }) => [inputTokens, outputTokens])).toEqual([
      [321, 1],
      [0, 0],
    ]);
  });
});
