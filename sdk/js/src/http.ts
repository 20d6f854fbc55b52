/** Sending one API call: URL and headers, the v1 envelope, errors, timeouts and retries. */

import {
  NetworkError,
  RateLimitError,
  ShortURLError,
  TimeoutError,
  retryAfterSeconds,
} from "./errors.js";
import type { RequestOptions } from "./types.js";

export const DEFAULT_BASE_URL = "http://localhost:8080";
const API_PREFIX = "/api/v1";
const USER_AGENT = "shorturl-js/0.1.0";
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);
// Answers that say "try again later": limits and a proxy's or the server's transient failures.
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/** The options of `new ShortURL(...)`. */
export interface ClientOptions {
  /** Sent as `X-API-Key`; default `$SHORTURL_API_KEY`. */
  apiKey?: string;
  /** A bearer token from `client.auth.login` (instead of an API key). */
  token?: string;
  /** The server's root URL; default `$SHORTURL_URL`, else `http://localhost:8080`. */
  baseUrl?: string;
  /** Milliseconds for each attempt (default 10,000; 0 for none). */
  timeout?: number;
  /** Retries of an idempotent call after a network error, a 429 or a 502/503/504 (default 2). */
  maxRetries?: number;
  /** The longest `Retry-After` worth waiting for, in milliseconds (default 60,000). */
  maxRetryWait?: number;
  /** Sent with every request. */
  headers?: Record<string, string>;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | boolean | null | undefined>;

/** One request and how to read its answer. */
export interface Call {
  method: string;
  path: string;
  query?: Query;
  body?: unknown;
  /** `envelope`: the v1 envelope's `data`; `json`: the whole JSON; `bytes`: an image. */
  expect?: "envelope" | "json" | "bytes";
  /** Under the server's root instead of `/api/v1`. */
  root?: boolean;
  /** Whether a retry is safe; by default GET, PUT and DELETE are, POST and PATCH not. */
  idempotent?: boolean;
}

function environment(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  return env?.[name] || undefined;
}

/** The server's root: `https://sho.rt/api/v1/` and `https://sho.rt` both give the latter. */
export function serverRoot(baseUrl: string): string {
  let root = baseUrl.trim().replace(/\/+$/, "");
  if (root.endsWith(API_PREFIX)) root = root.slice(0, -API_PREFIX.length);
  if (!/^https?:\/\//.test(root)) {
    throw new TypeError(`baseUrl must be an http(s) URL, not ${JSON.stringify(baseUrl)}`);
  }
  return root;
}

/** `value` as one URL path segment: a code or an id can never walk to another route. */
export function segment(value: string): string {
  const text = String(value);
  if (text === "" || text === "." || text === "..") {
    throw new TypeError(`not a valid identifier: ${JSON.stringify(text)}`);
  }
  return encodeURIComponent(text);
}

function lowerHeaders(headers: Headers): Record<string, string> {
  const result: Record<string, string> = {};
  headers.forEach((value, name) => {
    result[name.toLowerCase()] = value;
  });
  return result;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export class Transport {
  readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly timeout: number;
  private readonly maxRetries: number;
  private readonly maxRetryWait: number;
  private readonly fetch: typeof fetch;
  private readonly backoff = 500;
  private readonly maxBackoff = 8000;

  constructor(options: ClientOptions = {}) {
    if (options.apiKey !== undefined && options.token !== undefined) {
      throw new TypeError("give either apiKey or token, not both");
    }
    const maxRetries = options.maxRetries ?? 2;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) {
      throw new TypeError("maxRetries must be a whole number, 0 or more");
    }
    const apiKey =
      options.token === undefined ? (options.apiKey ?? environment("SHORTURL_API_KEY")) : undefined;
    this.baseUrl = serverRoot(options.baseUrl ?? environment("SHORTURL_URL") ?? DEFAULT_BASE_URL);
    this.headers = { Accept: "application/json", ...options.headers };
    // Browsers refuse to let a script set User-Agent; elsewhere it helps the server's logs.
    if (typeof (globalThis as { window?: unknown }).window === "undefined") {
      this.headers["User-Agent"] = USER_AGENT;
    }
    if (apiKey) this.headers["X-API-Key"] = apiKey;
    if (options.token) this.headers["Authorization"] = `Bearer ${options.token}`;
    this.timeout = options.timeout ?? 10_000;
    this.maxRetries = maxRetries;
    this.maxRetryWait = options.maxRetryWait ?? 60_000;
    const chosen = options.fetch ?? globalThis.fetch;
    if (typeof chosen !== "function") {
      throw new TypeError("no fetch: use Node 18 or later, or pass options.fetch");
    }
    // Browsers refuse a `fetch` called as a method of another object ("Illegal invocation").
    this.fetch = chosen.bind(globalThis);
  }

  url(call: Call): string {
    const url = new URL(this.baseUrl + (call.root ? "" : API_PREFIX) + call.path);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  /** Send `call`, retrying when that is safe; its result, or the ShortURLError it stands for. */
  async send<T>(call: Call, options: RequestOptions = {}): Promise<T> {
    const retryable = call.idempotent ?? IDEMPOTENT_METHODS.has(call.method);
    for (let attempt = 0; ; attempt += 1) {
      let response: Response;
      try {
        response = await this.attempt(call, options);
      } catch (error) {
        const delay = this.retryDelay(retryable, attempt, null);
        if (delay === null || !(error instanceof NetworkError)) throw error;
        await sleep(delay, options.signal);
        continue;
      }
      const delay = this.retryDelay(retryable, attempt, response);
      if (delay === null) return (await this.read(call, response)) as T;
      await response.body?.cancel().catch(() => undefined);
      await sleep(delay, options.signal);
    }
  }

  private async attempt(call: Call, options: RequestOptions): Promise<Response> {
    const outer = options.signal;
    outer?.throwIfAborted();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(outer?.reason);
    outer?.addEventListener("abort", onAbort, { once: true });
    const timeout = options.timeout ?? this.timeout;
    let timedOut = false;
    const timer =
      timeout > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, timeout)
        : undefined;
    const headers: Record<string, string> = { ...this.headers };
    if (call.body !== undefined) headers["Content-Type"] = "application/json";
    try {
      const response = await this.fetch(this.url(call), {
        method: call.method,
        headers,
        // JSON.stringify sends Dates as ISO-8601 UTC and leaves `undefined` fields out.
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: controller.signal,
      });
      // Read the body while the timer still runs: a stalled body is a timeout too.
      const body = await response.arrayBuffer();
      return new Response(response.status === 204 ? null : body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } catch (error) {
      if (outer?.aborted) throw outer.reason;
      if (timedOut) throw new TimeoutError(`no answer from ${this.baseUrl} in ${timeout} ms`);
      const reason = error instanceof Error ? error.message : String(error);
      throw new NetworkError(`could not reach ${this.baseUrl}: ${reason}`, { cause: error });
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Milliseconds to wait before trying again, or null to stop here. Only idempotent calls are
   * retried (a retried POST could create a link twice): after a network failure, a 429 or a
   * 502/503/504, with exponential backoff and jitter, or after the server's `Retry-After` —
   * unless that is longer than `maxRetryWait`.
   */
  private retryDelay(retryable: boolean, attempt: number, response: Response | null): number | null {
    if (!retryable || attempt >= this.maxRetries) return null;
    if (response !== null) {
      if (!RETRY_STATUSES.has(response.status)) return null;
      const asked = retryAfterSeconds(lowerHeaders(response.headers));
      if (asked !== null) return asked * 1000 <= this.maxRetryWait ? asked * 1000 : null;
    }
    const ceiling = Math.min(this.maxBackoff, this.backoff * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private async read(call: Call, response: Response): Promise<unknown> {
    if (!response.ok) throw await errorFrom(response);
    if (call.expect === "bytes") return new Uint8Array(await response.arrayBuffer());
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw unexpected(call, response, "a body that is not JSON; is this a shorturl server?");
    }
    if (call.expect === "json") return body;
    if (!isObject(body) || body.success !== true || !("data" in body)) {
      throw unexpected(call, response, "something other than the API v1 envelope");
    }
    return body.data;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function unexpected(call: Call, response: Response, what: string): ShortURLError {
  return new ShortURLError(`${call.method} ${call.path} answered ${response.status} with ${what}`, {
    code: "UNEXPECTED_RESPONSE",
    status: response.status,
    headers: lowerHeaders(response.headers),
  });
}

/** The error an error answer stands for: the envelope's code, else one named by the status. */
export async function errorFrom(response: Response): Promise<ShortURLError> {
  const headers = lowerHeaders(response.headers);
  let code = response.status === 429 ? "RATE_LIMITED" : `HTTP_${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  let details: unknown = null;
  let requestId: string | null = headers["x-request-id"] ?? null;
  let body: unknown = null;
  try {
    body = JSON.parse(await response.text());
  } catch {
    body = null;
  }
  if (isObject(body)) {
    const error = body.error;
    if (isObject(error)) {
      if (typeof error.code === "string") code = error.code;
      if (error.message) message = String(error.message);
      details = error.details ?? null;
    } else if (typeof error === "string") {
      message = error; // the seed-001 root API: {"error": "message"}
    }
    if (isObject(body.meta) && typeof body.meta.request_id === "string") {
      requestId = body.meta.request_id;
    }
  }
  const init = { code, status: response.status, details, requestId, headers };
  return response.status === 429 || code === "RATE_LIMITED"
    ? new RateLimitError(message, init)
    : new ShortURLError(message, init);
}
