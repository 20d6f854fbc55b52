/** The SDK's errors: `ShortURLError` for every failure, with the API's `code`, and a few
 * subclasses a caller may want to catch on their own (rate limits, network, timeouts). */

/** What the server said went wrong, as the API v1 error envelope carries it. */
export interface ShortURLErrorInit {
  code: string;
  status: number | null;
  details?: unknown;
  requestId?: string | null;
  headers?: Record<string, string>;
}

/**
 * Anything that went wrong talking to a shorturl server.
 *
 * `code` is the API's error code (`CUSTOM_ALIAS_TAKEN`, `URL_NOT_FOUND`, `RATE_LIMITED`, …,
 * or `CONNECTION_ERROR` / `TIMEOUT` / `UNEXPECTED_RESPONSE` from the SDK itself), `status`
 * the HTTP status (null when no answer came), `details` whatever the server added (a string,
 * or a list of `{field, problem}` for `VALIDATION_ERROR`), `requestId` the server's `req_…` id
 * to quote in a bug report.
 */
export class ShortURLError extends Error {
  readonly code: string;
  readonly status: number | null;
  readonly details: unknown;
  readonly requestId: string | null;
  /** The answer's headers, names in lower case (empty when no answer came). */
  readonly headers: Record<string, string>;

  constructor(message: string, init: ShortURLErrorInit) {
    super(message);
    this.name = new.target.name;
    this.code = init.code;
    this.status = init.status;
    this.details = init.details ?? null;
    this.requestId = init.requestId ?? null;
    this.headers = init.headers ?? {};
  }
}

/** 429: too many requests. `retryAfter` is how many seconds to wait, when the server said. */
export class RateLimitError extends ShortURLError {
  get retryAfter(): number | null {
    return retryAfterSeconds(this.headers);
  }
}

/** No answer: the server could not be reached, or the connection broke. */
export class NetworkError extends ShortURLError {
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, { code: options.code ?? "CONNECTION_ERROR", status: null });
    if (options.cause !== undefined) {
      Object.defineProperty(this, "cause", { value: options.cause, configurable: true });
    }
  }
}

/** No answer within the client's `timeout`. */
export class TimeoutError extends NetworkError {
  constructor(message: string) {
    super(message, { code: "TIMEOUT" });
  }
}

/** Seconds from a `Retry-After` header (a number of seconds or an HTTP date), else null. */
export function retryAfterSeconds(headers: Record<string, string>): number | null {
  const value = (headers["retry-after"] ?? headers["x-ratelimit-retry-after"] ?? "").trim();
  if (value === "") return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, (when - Date.now()) / 1000);
}
