// An error that carries the HTTP status it should be answered with; one place (error-handler.ts) turns
// errors into responses.

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
