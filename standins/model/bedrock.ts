import { EventStreamCodec } from '@smithy/eventstream-codec';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { ServerResponse } from 'node:http';
import { startModelStandIn, turnEvents, writeMessage, type ModelRequest, type ProviderStandIn, type Script, type ScriptedTurn } from './standin.js';

// Bedrock Runtime's model calls: POST /model/{modelId}/invoke-with-response-stream answers in AWS event-stream
// frames, each a `chunk` event whose payload is {"bytes": base64 of one Messages API stream event}; /invoke
// answers one JSON message. The stand-in checks the SigV4 signature by computing it again, with the same library,
// from the known test keys and the request as it arrived: a wrong key, region, body or header fails with 403.

export interface AwsTestKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

const PATH = /^\/model\/([^/]+)\/(invoke-with-response-stream|invoke)$/;
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/;

const codec = new EventStreamCodec(toUtf8, fromUtf8);

export function eventStreamFrame(event: unknown): Uint8Array {
  const bytes = Buffer.from(JSON.stringify(event)).toString('base64');
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: 'chunk' },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(JSON.stringify({ bytes, p: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ' })),
  });
}

const denied = (message: string) => ({ status: 403, body: { message } });

async function verify(request: ModelRequest, raw: Buffer, keys: AwsTestKeys, region: string) {
  const match = AUTHORIZATION.exec(String(request.headers.authorization ?? ''));
  if (!match) return denied('Missing Authentication Token');
  const [, keyId, , signedRegion, service, signedHeaders] = match;
  if (keyId !== keys.accessKeyId) return denied('The security token included in the request is invalid.');
  if (signedRegion !== region || service !== 'bedrock')
    return denied(`Credential should be scoped to ${region}/bedrock`);
  if (request.headers['x-amz-security-token'] !== keys.sessionToken)
    return denied('The security token included in the request is invalid.');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders!.split(';')) headers[name] = String(request.headers[name] ?? '');
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(headers['x-amz-date'] ?? '');
  if (!date) return denied('x-amz-date is missing');
  const [, y, mo, d, h, mi, s] = date;
  const url = new URL(request.path, `http://${headers.host}`);
  const signer = new SignatureV4({ service: 'bedrock', region, credentials: keys, sha256: Hash.bind(null, 'sha256') });
  const expected = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: raw,
    },
    { signingDate: new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`) }
  );
  if (expected.headers.authorization !== request.headers.authorization) {
    return denied('The request signature we calculated does not match the signature you provided.');
  }
  return null;
}

export async function startBedrockStandIn(options: {
  script: Script;
  keys: AwsTestKeys;
  region: string;
}): Promise<ProviderStandIn> {
  return startModelStandIn({
    script: options.script,
    errorBody: (_type, message) => ({ message }),
    route: (method, path) => method === 'POST' && PATH.test(path),
    authorize: (request, raw) => verify(request, raw, options.keys, options.region),
    modelOf: (request) => decodeURIComponent(PATH.exec(request.path)![1]!),
    writeTurn: (response: ServerResponse, turn: ScriptedTurn, id: string, model: string, request: ModelRequest) => {
      if (request.path.endsWith('/invoke')) return writeMessage(response, turn, id, model);
      response.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
      for (const event of turnEvents(turn, id, model)) response.write(eventStreamFrame(event));
      response.end();
    },
  });
}
