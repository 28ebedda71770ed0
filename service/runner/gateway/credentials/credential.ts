/** A model call on its way upstream, before the credential is added. */
export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
}

/** Adds one provider's credential to a request. The only code that sees the credential's value. */
export interface CredentialAdapter {
  /** What the request carries the credential in (to add to its headers). */
  headersFor(request: OutgoingRequest): Promise<Record<string, string>>;
  /** Every credential value held or minted so far, for redaction. */
  secretValues(): string[];
}

/** The credential is missing or could not be obtained: Claude Code gets a refusal it does not retry. */
export class CredentialError extends Error {
  override name = 'CredentialError';
}

/** For an upstream that needs no credential (the job set CLAUDE_CODE_SKIP_*_AUTH for its own gateway). */
export const noCredential: CredentialAdapter = { headersFor: async () => ({}), secretValues: () => [] };
