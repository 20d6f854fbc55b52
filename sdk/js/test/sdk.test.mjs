// The SDK against a real `shorturl serve`: every resource, pagination, errors, timeouts and
// AbortSignal. Run with `npm test` (it builds first).

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";

import ShortURL, { NetworkError, RateLimitError, ShortURLError, TimeoutError } from "../dist/index.mjs";
import { freePort, makeAdmin, newUser, testServer } from "./live-server.mjs";

let server;
let user;

before(async () => {
  server = await testServer();
  user = await newUser(server.url);
});
after(async () => server?.stop());

describe("urls", () => {
  test("create, get, update, delete answer the v1 fields", async () => {
    const { client } = user;
    const made = await client.urls.create({
      long_url: "https://example.com/very/long/url?param1=value1",
      custom_alias: `js-${Date.now()}`,
      description: "My important link",
      tags: ["marketing", "campaign-2024"],
      expiration_date: new Date("2031-12-31T23:59:59Z"),
    });
    assert.equal(made.short_url, `${server.url}/${made.short_code}`);
    assert.equal(made.custom_alias, made.short_code);
    assert.equal(made.long_url, "https://example.com/very/long/url?param1=value1");
    assert.deepEqual(made.tags, ["campaign-2024", "marketing"].sort());
    assert.equal(made.expiration_date, "2031-12-31T23:59:59Z");
    assert.equal(made.click_count, 0);
    assert.equal(made.status, "active");

    const got = await client.urls.get(made.short_code);
    assert.equal(got.owner.username, user.username);
    const changed = await client.urls.update(made.short_code, {
      long_url: "https://example.com/updated/url",
      description: null,
    });
    assert.equal(changed.long_url, "https://example.com/updated/url");
    assert.equal(changed.description, null);
    assert.equal(changed.tags.length, 2);

    const info = await client.urls.info(made.short_code);
    assert.equal(info.long_url, "https://example.com/updated/url");

    const deleted = await client.urls.delete(made.short_code);
    assert.equal(deleted.short_code, made.short_code);
    assert.match(deleted.deleted_at, /^\d{4}-\d\d-\d\dT/);
    await assert.rejects(client.urls.get(made.short_code), { code: "URL_NOT_FOUND", status: 404 });
  });

  test("bulkCreate reports each item; list pages and iterate walks every page", async () => {
    const { client } = await newUser(server.url, "page");
    const tag = "paged";
    const items = Array.from({ length: 23 }, (_, i) => ({
      long_url: `https://example.com/page/${i}`,
      tags: [tag],
    }));
    const bulk = await client.urls.bulkCreate([...items, "not a url", "https://example.com/x"]);
    assert.deepEqual(bulk.summary, { total: 25, created: 24, failed: 1 });
    assert.equal(bulk.failed[0].index, 23);
    assert.equal(bulk.failed[0].code, "INVALID_URL");

    const first = await client.urls.list({ tag, limit: 10, sort: "created_at", order: "asc" });
    assert.equal(first.urls.length, 10);
    assert.deepEqual(
      { total: first.pagination.total, has_more: first.pagination.has_more },
      { total: 23, has_more: true },
    );
    const seen = [];
    for await (const link of client.urls.iterate({ tag, pageSize: 10, sort: "created_at", order: "asc" })) {
      seen.push(link.long_url);
    }
    assert.deepEqual(seen, items.map((item) => item.long_url));
    let everything = 0;
    for await (const _ of client.urls.iterate()) everything += 1;
    assert.equal(everything, 24);
  });

  test("qr gives image bytes, qrLinks their URLs", async () => {
    const { client } = user;
    const { short_code } = await client.urls.create({ long_url: "https://example.com/qr" });
    const png = await client.urls.qr(short_code, { size: 200, format: "png" });
    assert.ok(png instanceof Uint8Array);
    assert.deepEqual([...png.slice(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const svg = new TextDecoder().decode(await client.urls.qr(short_code, { format: "svg" }));
    assert.match(svg, /<svg/);
    const links = await client.urls.qrLinks(short_code);
    assert.match(links.qr_code_url, new RegExp(`/qr/${short_code}$`));
    assert.ok(links.download_urls.svg);
  });

  test("smart links: rules, A/B variants, expired_redirect and a password, set and cleared", async () => {
    const { client } = user;
    const made = await client.urls.create({
      long_url: "https://example.com/default",
      rules: [{ conditions: { os: "ios", country: ["fr", "BE"] }, long_url: "https://apps.apple.com/app/id1" },
        { conditions: { os: ["ios", "android"] }, long_url: "https://example.com/mobile" }],
      variants: [
        { long_url: "https://example.com/a", weight: 50 },
        { long_url: "https://example.com/b", weight: 50 },
      ],
      expired_redirect: "https://example.com/gone",
    });
    assert.deepEqual(made.rules, [
      { conditions: { os: ["ios"], country: ["FR", "BE"] }, long_url: "https://apps.apple.com/app/id1" },
      { conditions: { os: ["ios", "android"] }, long_url: "https://example.com/mobile" },
    ]);
    assert.deepEqual(made.variants.map((variant) => variant.weight), [50, 50]);
    assert.equal(made.expired_redirect, "https://example.com/gone");
    assert.equal(made.password_protected, false);

    const visit = (userAgent) =>
      fetch(made.short_url, { redirect: "manual", headers: { "user-agent": userAgent } });
    const iphone = await visit("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148");
    assert.equal(iphone.headers.get("location"), "https://example.com/mobile");
    const desktop = await visit("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36");
    assert.ok(["https://example.com/a", "https://example.com/b"].includes(desktop.headers.get("location")));

    const locked = await client.urls.update(made.short_code, { password: "open sesame", rules: null, variants: null });
    assert.equal(locked.password_protected, true);
    assert.deepEqual([locked.rules, locked.variants], [[], []]);
    assert.ok(!JSON.stringify(locked).includes("open sesame"));
    const form = await visit("curl/8");
    assert.equal(form.status, 200); // the password form, not a redirect
    assert.match(await form.text(), /This link is protected/);
    await assert.rejects(client.urls.update(made.short_code, { variants: [{ long_url: "https://example.com/a", weight: 0 }] }), {
      code: "VALIDATION_ERROR",
      status: 400,
    });
    const opened = await client.urls.update(made.short_code, { password: null, expired_redirect: null });
    assert.deepEqual([opened.password_protected, opened.expired_redirect], [false, null]);
  });
});

describe("analytics", () => {
  test("get counts a real click; summary covers the account", async () => {
    const { client } = await newUser(server.url, "stats");
    const { short_code } = await client.urls.create({ long_url: "https://example.com/counted" });
    const robot = await fetch(`${server.url}/${short_code}`, {
      redirect: "manual",
      headers: { "User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" },
    });
    assert.equal(robot.status, 301);
    const hop = await fetch(`${server.url}/${short_code}`, {
      redirect: "manual",
      headers: { "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0" },
    });
    assert.equal(hop.status, 301);
    let report;
    for (let i = 0; i < 150; i += 1) {
      report = await client.analytics.get(short_code, { period: "7d", granularity: "day" });
      if (report.total_clicks > 0) break;
      await new Promise((done) => setTimeout(done, 100));
    }
    assert.equal(report.total_clicks, 1);
    assert.equal(report.period, "7d");
    assert.equal(report.granularity, "day");
    assert.equal(report.device_data[0].device_type, "desktop");
    // the robot came first, so it is recorded too: reported apart, not counted
    assert.deepEqual([report.bot_clicks, report.preview_clicks], [1, 0]);
    assert.deepEqual(report.bot_data.map(({ kind, clicks }) => [kind, clicks]), [["bot", 1]]);
    assert.deepEqual(report.destination_data.map((row) => [row.is_default, row.clicks]), [[true, 1]]);
    assert.deepEqual(await client.urls.analytics(short_code, { period: "7d" }).then((r) => r.total_clicks), 1);
    const summary = await client.analytics.summary({ period: "30d" });
    assert.equal(summary.total_urls, 1);
    assert.equal(summary.total_clicks, 1);
    assert.equal(summary.top_performing_urls[0].short_code, short_code);
    assert.equal(summary.bot_clicks, 1);
  });
});

describe("webhooks", () => {
  test("create, list, get, update, test, deliveries, delete", async (t) => {
    const received = [];
    const receiver = createServer((request, response) => {
      const chunks = [];
      request.on("data", (chunk) => chunks.push(chunk));
      request.on("end", () => {
        received.push({ headers: request.headers, body: Buffer.concat(chunks) });
        response.writeHead(204).end();
      });
    });
    const port = await freePort();
    await new Promise((done) => receiver.listen(port, "127.0.0.1", done));
    t.after(() => receiver.close());
    const { client } = user;
    const secret = "your_webhook_secret_long_enough";
    const hook = await client.webhooks.create({
      url: `http://127.0.0.1:${port}/webhook`,
      events: ["url.clicked", "url.created", "url.expired"],
      secret,
    });
    assert.equal(hook.secret, secret);
    assert.match(hook.webhook_id, /^wh_/);
    assert.deepEqual((await client.webhooks.list()).map((w) => w.webhook_id), [hook.webhook_id]);
    assert.equal((await client.webhooks.get(hook.webhook_id)).url, hook.url);
    const updated = await client.webhooks.update(hook.webhook_id, { events: ["url.clicked"] });
    assert.deepEqual(updated.events, ["url.clicked"]);

    const ping = await client.webhooks.test(hook.webhook_id);
    assert.equal(ping.status, "delivered");
    assert.equal(ping.response_status, 204);
    const [sent] = received;
    const signed = `${sent.headers["x-shorturl-timestamp"]}.${sent.body}`;
    const expected = "sha256=" + createHmac("sha256", secret).update(signed).digest("hex");
    assert.equal(sent.headers["x-shorturl-signature"], expected);

    const page = await client.webhooks.deliveries(hook.webhook_id, { limit: 5 });
    assert.equal(page.deliveries[0].delivery_id, ping.delivery_id);
    const all = [];
    for await (const delivery of client.webhooks.iterateDeliveries(hook.webhook_id)) all.push(delivery);
    assert.deepEqual(all.map((d) => d.delivery_id), [ping.delivery_id]);

    const gone = await client.webhooks.delete(hook.webhook_id);
    assert.equal(gone.webhook_id, hook.webhook_id);
    await assert.rejects(client.webhooks.get(hook.webhook_id), { status: 404 });
  });
});

describe("domains", () => {
  test("admins add, update and remove them; links are made on them and redirect there", async () => {
    const admin = await newUser(server.url, "jsadm");
    makeAdmin(server, admin.username);
    const host = `js${Date.now()}.example.com`;
    const added = await admin.client.domains.add({ host, root_redirect: "https://example.com/home" });
    assert.deepEqual(
      [added.host, added.is_default, added.links, added.root_redirect],
      [host, false, 0, "https://example.com/home"],
    );
    assert.match(added.created_at, /^\d{4}-\d\d-\d\dT/);
    await assert.rejects(admin.client.domains.add({ host: host.toUpperCase() }), {
      code: "DOMAIN_EXISTS",
      status: 409,
    });
    await assert.rejects(user.client.domains.add({ host: `x${host}` }), { status: 403 });

    const listed = await user.client.domains.list();
    assert.equal(listed[0].is_default, true);
    assert.equal(listed[0].host, new URL(server.url).host);
    assert.ok(listed.some((domain) => domain.host === host));
    const link = await user.client.urls.create({ long_url: "https://example.com/on-js", domain: host });
    assert.equal(link.short_url, `http://${host}/${link.short_code}`);
    assert.equal((await user.client.urls.get(link.short_code, { domain: host })).domain, host);

    const changed = await admin.client.domains.update(host, {
      root_redirect: null,
      not_found_redirect: "https://example.com/404",
    });
    assert.deepEqual(
      [changed.root_redirect, changed.not_found_redirect, changed.links],
      [null, "https://example.com/404", 1],
    );
    await assert.rejects(admin.client.domains.remove(host), { code: "DOMAIN_IN_USE", status: 409 });
    const spare = `spare-${host}`;
    await admin.client.domains.add({ host: spare });
    assert.deepEqual(await admin.client.domains.remove(spare), { message: "Domain removed", host: spare });
    await assert.rejects(admin.client.domains.update(spare, { root_redirect: null }), { status: 404 });
  });
});

describe("apiKeys and the account", () => {
  test("the seed-003 key body is kept, capped by the plan, listed and revoked", async () => {
    const { client } = await newUser(server.url, "keys");
    const created = await client.apiKeys.create({
      name: "My API Key",
      permissions: ["read", "write"],
      rate_limit: 5000,
    });
    assert.match(created.key, /^sk_live_/);
    assert.equal(created.rate_limit, 5000);
    assert.equal(created.effective_rate_limit, 1000); // the free plan's API requests an hour
    const listed = await client.apiKeys.list();
    assert.deepEqual(listed.map((k) => k.name).sort(), ["My API Key", "tests"]);
    assert.ok(!JSON.stringify(listed).includes(created.key));

    const other = new ShortURL({ baseUrl: server.url, apiKey: created.key });
    assert.equal((await other.user.profile()).plan, "free");
    const revoked = await client.apiKeys.revoke(created.key_id);
    assert.equal(revoked.key_id, created.key_id);
    await assert.rejects(other.user.profile(), { code: "UNAUTHORIZED", status: 401 });
  });

  test("health and the profile", async () => {
    assert.equal((await user.client.health()).status, "healthy");
    const profile = await user.client.user.profile();
    assert.equal(profile.username, user.username);
    assert.ok(profile.usage_stats.urls_created >= 0);
  });
});

describe("errors", () => {
  test("an API error carries code, status, message, details and requestId", async () => {
    const { client } = user;
    const alias = `taken-${Date.now()}`;
    await client.urls.create({ long_url: "https://example.com/a", custom_alias: alias });
    const error = await client.urls
      .create({ long_url: "https://example.com/b", custom_alias: alias })
      .then(() => assert.fail("a taken alias must be refused"), (e) => e);
    assert.ok(error instanceof ShortURLError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, "ShortURLError");
    assert.equal(error.code, "CUSTOM_ALIAS_TAKEN");
    assert.equal(error.status, 409);
    assert.match(error.message, /alias/i);
    assert.match(error.requestId, /^req_/);
    assert.ok(error.details !== undefined);

    await assert.rejects(client.urls.create({ long_url: "ftp://example.com" }), {
      code: "INVALID_URL",
      status: 400,
    });
    const anonymous = new ShortURL({ baseUrl: server.url, apiKey: "sk_live_" + "x".repeat(40) });
    await assert.rejects(anonymous.urls.list(), { code: "UNAUTHORIZED", status: 401 });
    assert.throws(() => client.urls.create({}), TypeError);
  });

  test("a key's own rate limit gives a RateLimitError with retryAfter, not waited for", async () => {
    const limited = await user.client.apiKeys.create({ name: "tight", rate_limit: 2 });
    const client = new ShortURL({ baseUrl: server.url, apiKey: limited.key });
    await client.user.profile();
    await client.user.profile();
    const started = Date.now();
    const error = await client.user.profile().then(() => assert.fail("the third must be refused"), (e) => e);
    assert.ok(Date.now() - started < 5000, "an hour's Retry-After is past maxRetryWait: no wait");
    assert.ok(error instanceof RateLimitError && error instanceof ShortURLError);
    assert.equal(error.code, "RATE_LIMITED");
    assert.equal(error.status, 429);
    assert.ok(error.retryAfter > 60 && error.retryAfter <= 3600, String(error.retryAfter));
    assert.equal(error.details.limit, 2);
  });

  test("an unreachable server is a NetworkError", async () => {
    const port = await freePort();
    const client = new ShortURL({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 1 });
    const error = await client.urls.list().catch((e) => e);
    assert.ok(error instanceof NetworkError);
    assert.equal(error.code, "CONNECTION_ERROR");
    assert.equal(error.status, null);
  });

  test("timeout and AbortSignal", async (t) => {
    let requests = 0;
    const silent = createServer(() => {
      requests += 1; // never answers
    });
    const port = await freePort();
    await new Promise((done) => silent.listen(port, "127.0.0.1", done));
    t.after(() => {
      silent.closeAllConnections();
      silent.close();
    });
    const client = new ShortURL({ baseUrl: `http://127.0.0.1:${port}`, timeout: 500, maxRetries: 1 });
    const error = await client.urls.get("abc").catch((e) => e);
    assert.ok(error instanceof TimeoutError && error instanceof NetworkError);
    assert.equal(error.code, "TIMEOUT");
    assert.equal(requests, 2); // an idempotent call is tried again after a timeout
    requests = 0;
    await assert.rejects(client.urls.create({ long_url: "https://example.com/" }), TimeoutError);
    assert.equal(requests, 1); // a creation never is

    const controller = new AbortController();
    const pending = client.urls.get("abc", { signal: controller.signal, timeout: 10_000 });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(pending, { name: "AbortError" });
    await assert.rejects(
      user.client.urls.list({}, { signal: AbortSignal.abort() }),
      { name: "AbortError" },
    );
  });
});
