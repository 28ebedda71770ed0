// Reads server-sent events off a byte stream as it passes (Claude API and Vertex AI streams), without holding
// more than the current unfinished line. Each `data:` payload that parses as JSON goes to `onEvent`.

export interface Tap {
  write(chunk: Uint8Array): void;
  end(): void;
}

export function sseTap(onEvent: (event: unknown) => void): Tap {
  const decoder = new TextDecoder();
  let pending = '';
  let data: string[] = [];
  let afterCr = false;
  const dispatch = () => {
    if (data.length === 0) return;
    const payload = data.join('\n');
    data = [];
    try {
      onEvent(JSON.parse(payload));
    } catch {
      // Not JSON (a ping's empty data, a comment): nothing to count.
    }
  };
  const line = (text: string) => {
    if (text === '') dispatch();
    else if (text.startsWith('data:')) data.push(text.slice(text.startsWith('data: ') ? 6 : 5));
  };
  return {
    write(chunk) {
      let text = decoder.decode(chunk, { stream: true });
      // A `\r\n` split across two chunks is one line end, not two (two would end the event early).
      if (afterCr && text.startsWith('\n')) text = text.slice(1);
      afterCr = text.endsWith('\r');
      const lines = (pending + text).split(/\r\n|\r|\n/);
      pending = lines.pop() ?? '';
      lines.forEach(line);
    },
    end() {
      pending += decoder.decode();
      if (pending) line(pending);
      pending = '';
      dispatch();
    },
  };
}
