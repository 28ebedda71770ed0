import type { ModelProvider } from './provider.js';

// Where the gateway sends a model call. The job's ANTHROPIC_BASE_URL / ANTHROPIC_VERTEX_BASE_URL /
// ANTHROPIC_BEDROCK_BASE_URL name the upstream (a company's LLM gateway, a test's stand-in), as they name
// Claude Code's own upstream without the gateway; otherwise the provider's public endpoint, as the Anthropic
// SDKs build it. The request's path is appended to the base URL's path.

export interface UpstreamSettings {
  provider: ModelProvider;
  /** The job's base URL for this provider, or null for the public endpoint. */
  baseUrl: string | null;
  /** Bedrock's region (AWS_REGION), for the public endpoint and the signature. */
  awsRegion: string | null;
}

/** Vertex AI's host for a location: `global`, the multi-regions `us` and `eu`, or a region. */
export function vertexBaseUrl(region: string): string {
  if (region === 'global') return 'https://aiplatform.googleapis.com/v1';
  if (region === 'us' || region === 'eu') return `https://aiplatform.${region}.rep.googleapis.com/v1`;
  return `https://${region}-aiplatform.googleapis.com/v1`;
}

export function upstreamUrl(settings: UpstreamSettings, pathAndQuery: string, vertexRegion: string | null): URL {
  const base = settings.baseUrl ?? defaultBaseUrl(settings, vertexRegion);
  const url = new URL(base);
  const [path, query] = splitQuery(pathAndQuery);
  url.pathname = url.pathname.replace(/\/+$/, '') + path;
  url.search = query;
  return url;
}

function defaultBaseUrl(settings: UpstreamSettings, vertexRegion: string | null): string {
  if (settings.provider === 'anthropic') return 'https://api.anthropic.com';
  // The path names the location (CLOUD_ML_REGION, or a model's VERTEX_REGION_* override): its host serves it.
  if (settings.provider === 'vertex') return vertexBaseUrl(vertexRegion ?? 'global');
  return `https://bedrock-runtime.${settings.awsRegion ?? 'us-east-1'}.amazonaws.com`;
}

function splitQuery(pathAndQuery: string): [string, string] {
  const at = pathAndQuery.indexOf('?');
  return at < 0 ? [pathAndQuery, ''] : [pathAndQuery.slice(0, at), pathAndQuery.slice(at)];
}
