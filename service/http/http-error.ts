// An error that carries the HTTP status it should be answered with; one place (the app's error
// handler) turns errors into responses.

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
