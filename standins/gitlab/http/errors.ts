// Every error the stand-in answers with, in GitLab's shapes. Routes throw these; server.ts is the one
// place that turns them into responses.
//
// Shapes follow GitLab's lib/api/helpers.rb and lib/api/api.rb:
// - `not_found!(resource)` → {"message":"404 <Resource> Not Found"}; ActiveRecord's RecordNotFound (a
//   `find_by!` on iid, member or note) → {"message":"404 Not found"} (lower-case "found").
// - Grape parameter validation → {"error":"ref is missing, token is missing"}.
// - `render_validation_error!(model)` → {"message":{"base":["Reference not found"]}}.
// - `bad_request!(reason)` → {"message":"400 Bad request - <reason>"}.
// - an unknown route → {"error":"404 Not Found"}.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}

export const notFound = (resource?: string): ApiError =>
  new ApiError(404, { message: resource ? `404 ${resource} Not Found` : '404 Not Found' });

/** ActiveRecord::RecordNotFound, rescued in lib/api/api.rb. */
export const recordNotFound = (): ApiError => new ApiError(404, { message: '404 Not found' });

export const unauthorized = (): ApiError => new ApiError(401, { message: '401 Unauthorized' });

export const forbidden = (reason?: string): ApiError =>
  new ApiError(403, { message: reason ? `403 Forbidden - ${reason}` : '403 Forbidden' });

export const badRequest = (reason?: string): ApiError =>
  new ApiError(400, { message: reason ? `400 Bad request - ${reason}` : '400 Bad request' });

/** Grape's declared-parameter errors, joined the way Grape joins them. */
export const paramErrors = (messages: string[]): ApiError => new ApiError(400, { error: messages.join(', ') });

/** `render_validation_error!`: the model's error hash. */
export const validationError = (errors: Record<string, string[]>): ApiError => new ApiError(400, { message: errors });

export const apiError = (status: number, message: unknown): ApiError => new ApiError(status, { message });

export const routeNotFound = (): ApiError => new ApiError(404, { error: '404 Not Found' });
