import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { Tap } from './sse-tap.js';

// Reads Bedrock's `invoke-with-response-stream` answer as it passes: AWS event-stream frames (a 4-byte total
// length first, CRC-checked by the codec), where each `chunk` event's payload is `{"bytes":"<base64>"}` and the
// bytes are one Messages API stream event as JSON. Exceptions and anything unreadable are left to the client.

const codec = new EventStreamCodec(toUtf8, fromUtf8);

export function eventStreamTap(onEvent: (event: unknown) => void): Tap {
  let buffered = Buffer.alloc(0);
  let broken = false;
  const frame = (bytes: Uint8Array) => {
    const message = codec.decode(bytes);
    if (message.headers[':message-type']?.value !== 'event' || message.headers[':event-type']?.value !== 'chunk')
      return;
    const payload = JSON.parse(toUtf8(message.body)) as { bytes?: unknown };
    if (typeof payload.bytes === 'string') onEvent(JSON.parse(Buffer.from(payload.bytes, 'base64').toString('utf8')));
  };
  return {
    write(chunk) {
      if (broken) return;
      buffered = buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffered, chunk]);
      try {
        while (buffered.length >= 4) {
          const length = buffered.readUInt32BE(0);
          if (length < 16) throw new Error(`event-stream frame of ${length} bytes`);
          if (buffered.length < length) break;
          frame(buffered.subarray(0, length));
          buffered = buffered.subarray(length);
        }
      } catch {
        // A stream we cannot read is still passed on unchanged; only the count stops (and is then short).
        broken = true;
        buffered = Buffer.alloc(0);
      }
    },
    end() {
      buffered = Buffer.alloc(0);
    },
  };
}
