// Typed errors that carry their HTTP status and a stable code; the server maps them to responses in one place.

export type ErrorCode =
  | "bad_request"
  | "invalid_json"
  | "invalid_body"
  | "payload_too_large"
  | "unsupported_media_type"
  | "too_many_requests"
  | "not_found"
  | "forbidden"
  | "method_not_allowed"
  | "no_model"
  | "internal";

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

export const badRequest = (message: string, code: ErrorCode = "invalid_body"): ApiError =>
  new ApiError(400, code, message);
export const tooLarge = (message: string): ApiError => new ApiError(413, "payload_too_large", message);
export const unsupportedType = (message: string): ApiError => new ApiError(415, "unsupported_media_type", message);
export const tooManyRequests = (message: string): ApiError => new ApiError(429, "too_many_requests", message);
export const forbidden = (message: string): ApiError => new ApiError(403, "forbidden", message);
export const noModel = (): ApiError => new ApiError(503, "no_model", "no model is loaded");

/** Anything thrown that is not an ApiError becomes a 500 without leaking internals. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(500, "internal", "internal error");
}
