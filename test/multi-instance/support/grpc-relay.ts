import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';

// A gRPC pass-through between one service instance and the Pub/Sub emulator, for tests that SIGKILL the
// instance. The emulator never notices that a streaming-pull client died with its connection: it keeps
// dispatching messages to the dead streams and never redelivers them (a client that exits cleanly
// cancels its streams, and then all is well). Real Pub/Sub notices, and redelivers after the ack
// deadline. This relay plays that part: when the instance's side of a call goes away without a proper
// end, it cancels the call upstream (RST_STREAM CANCEL), which the emulator does handle.

export interface GrpcRelay {
  /** host:port, for PUBSUB_EMULATOR_HOST. */
  host: string;
  close(): Promise<void>;
}

const { NGHTTP2_CANCEL } = http2.constants;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'http2-settings']);

export async function startGrpcRelay(upstreamHost: string): Promise<GrpcRelay> {
  const sessions = new Set<ClientHttp2Session>();
  const upstreams = new WeakMap<http2.Http2Session, { session: ClientHttp2Session; calls: Set<ClientHttp2Stream> }>();
  const server = http2.createServer();
  server.on('session', (downSession) => {
    const upSession = http2.connect(`http://${upstreamHost}`);
    const calls = new Set<ClientHttp2Stream>();
    upstreams.set(downSession, { session: upSession, calls });
    sessions.add(upSession);
    upSession.on('error', () => downSession.destroy());
    upSession.on('close', () => sessions.delete(upSession));
    downSession.on('error', () => undefined);
    // The instance's connection is gone (it exited, or was killed): cancel every call it still had
    // open, then drop the connection once the cancellations are out.
    downSession.on('close', () => {
      for (const call of calls) if (!call.closed) call.close(NGHTTP2_CANCEL);
      setTimeout(() => upSession.destroy(), 1000).unref();
    });
  });
  server.on('stream', (down, headers) => {
    const upstream = down.session ? upstreams.get(down.session) : undefined;
    const up = relayStream(down, headers, upstream?.session);
    if (up && upstream) {
      upstream.calls.add(up);
      up.on('close', () => upstream.calls.delete(up));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    async close() {
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function relayStream(down: ServerHttp2Stream, headers: IncomingHttpHeaders, upSession: ClientHttp2Session | undefined): ClientHttp2Stream | null {
  if (!upSession || upSession.closed || upSession.destroyed) {
    down.close(NGHTTP2_CANCEL);
    return null;
  }
  const request: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) request[name] = value;
  }
  let up: ClientHttp2Stream;
  try {
    up = upSession.request(request);
  } catch {
    down.close(NGHTTP2_CANCEL);
    return null;
  }
  let trailers: OutgoingHttpHeaders = {};
  let ended = false;
  down.pipe(up);
  up.on('response', (responseHeaders, flags) => {
    const outgoing = copyHeaders(responseHeaders);
    // A trailers-only answer (a gRPC error at once) ends the stream with its headers.
    if (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) {
      ended = true;
      if (!down.closed) down.respond(outgoing, { endStream: true });
      return;
    }
    if (!down.closed) down.respond(outgoing, { waitForTrailers: true });
    up.pipe(down);
  });
  up.on('trailers', (received) => {
    trailers = copyHeaders(received);
  });
  down.on('wantTrailers', () => {
    ended = true;
    down.sendTrailers(trailers);
  });
  up.on('error', () => {
    if (!down.closed) down.close(NGHTTP2_CANCEL);
  });
  down.on('error', () => undefined);
  // The instance's side went away before the call ended (killed): cancel the call at the emulator, as
  // Pub/Sub's front end does when a client's connection drops.
  down.on('close', () => {
    if (!ended && !up.closed) up.close(NGHTTP2_CANCEL);
  });
  // The emulator reset the call: pass the reset on (a normal end finishes through the pipe and trailers).
  up.on('close', () => {
    if (!down.closed && !ended && up.rstCode !== undefined && up.rstCode !== http2.constants.NGHTTP2_NO_ERROR) down.close(up.rstCode);
  });
  return up;
}

function copyHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const copy: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) copy[name] = value;
  }
  return copy;
}
