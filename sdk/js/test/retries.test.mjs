// Retries against a real `shorturl serve` behind a small proxy that fails on demand (the
// server itself does not answer 503 or drop connections when asked): what is retried, after
// how long, and what never is.

import assert from "node:assert/strict";
import { createServer, request as forward } from "node:http";
import { after, before, beforeEach, test } from "node:test";

import ShortURL, { NetworkError, RateLimitError, ShortURLError } from "../dist/index.mjs";
import { freePort, newUser, testServer } from "./live-server.mjs";

let server;
let user;
let proxy;
let proxyUrl;
// What the proxy does with each next request: "forward", "drop", or [status, headers].
let script = [];
let seen = [];

before(async () => {
  server = await testServer();
  user = await newUser(server.url, "retry");
  const target = new URL(server.url);
  proxy = createServer((incoming, outgoing) => {
    const step = script.length > 0 ? script.shift() : "forward";
    seen.push(`${incoming.method} ${incoming.url}`);
    if (step === "drop") return incoming.socket.destroy();
    if (Array.isArray(step)) {
      const [status, headers] = step;
      const body = JSON.stringify({
        success: false,
        error: { code: status === 429 ? "RATE_LIMITED" : "UNAVAILABLE", message: "try later", details: null },
        meta: { request_id: "req_proxy" },
      });
      incoming.resume();
      return outgoing.writeHead(status, { "Content-Type": "application/json", ...headers }).end(body);
    }
    const upstream = forward(
      { host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode, answer.headers);
        answer.pipe(outgoing);
      },
    );
    incoming.pipe(upstream);
  });
  const port = await freePort();
  await new Promise((done) => proxy.listen(port, "127.0.0.1", done));
  proxyUrl = `http://127.0.0.1:${port}`;
});
after(async () => {
  proxy?.closeAllConnections();
  proxy?.close();
  await server?.stop();
});
beforeEach(() => {
  script = [];
  seen = [];
});

const client = () => new ShortURL({ baseUrl: proxyUrl, apiKey: user.apiKey });

test("a GET is retried after 503s and dropped connections, then reaches the server", async () => {
  script = [[503, {}], "drop"];
  const page = await client().urls.list();
  assert.equal(page.pagination.total, 0);
  assert.deepEqual(seen, Array(3).fill("GET /api/v1/urls"));
});

test("a 429 is retried after its Retry-After", async () => {
  script = [[429, { "Retry-After": "1" }]];
  const started = Date.now();
  const profile = await client().user.profile();
  assert.equal(profile.username, user.username);
  assert.ok(Date.now() - started >= 1000, "waited the second the server asked for");
  assert.equal(seen.length, 2);
});

test("a Retry-After past maxRetryWait is not waited for", async () => {
  script = [[429, { "Retry-After": "3600" }]];
  const error = await client().user.profile().catch((e) => e);
  assert.ok(error instanceof RateLimitError);
  assert.equal(error.retryAfter, 3600);
  assert.equal(error.requestId, "req_proxy");
  assert.equal(seen.length, 1);
});

test("retries stop after maxRetries with the last answer's error", async () => {
  script = Array(5).fill([503, {}]);
  const error = await new ShortURL({ baseUrl: proxyUrl, apiKey: user.apiKey, maxRetries: 3 })
    .urls.get("abc")
    .catch((e) => e);
  assert.ok(error instanceof ShortURLError);
  assert.equal(error.status, 503);
  assert.equal(seen.length, 4);
});

test("a creation (POST) is never retried, so it can never be made twice", async () => {
  script = [[503, {}]];
  await assert.rejects(client().urls.create({ long_url: "https://example.com/once" }), { status: 503 });
  script = ["drop"];
  await assert.rejects(client().urls.create({ long_url: "https://example.com/once" }), NetworkError);
  assert.equal(seen.length, 2);
  assert.equal((await client().urls.list()).pagination.total, 0);
});

test("an update (PATCH, idempotent) is retried", async () => {
  const { short_code } = await client().urls.create({ long_url: "https://example.com/before" });
  script = ["drop"];
  const changed = await client().urls.update(short_code, { long_url: "https://example.com/after" });
  assert.equal(changed.long_url, "https://example.com/after");
  assert.deepEqual(seen.slice(1), [`PATCH /api/v1/urls/${short_code}`, `PATCH /api/v1/urls/${short_code}`]);
});

test("aborting stops a retry that is waiting", async () => {
  script = [[503, { "Retry-After": "30" }]];
  const controller = new AbortController();
  const pending = client().urls.list({}, { signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  const started = Date.now();
  await assert.rejects(pending, { name: "AbortError" });
  assert.ok(Date.now() - started < 5000);
  assert.equal(seen.length, 1);
});
