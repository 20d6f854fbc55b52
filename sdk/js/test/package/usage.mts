// Type-checked by test/package.test.mjs (`tsc --noEmit`, strict) against the packed package:
// what a TypeScript user writes must compile, with real types (not `any`) all the way down.

import ShortURL, {
  type Link,
  type LinkAnalytics,
  RateLimitError,
  ShortURLError,
  type WebhookCreated,
} from "@shorturl/sdk";

const client = new ShortURL({ apiKey: "sk_live_x", baseUrl: "http://localhost:8080", timeout: 5000 });

export async function usage(signal: AbortSignal): Promise<string> {
  const link: Link = await client.urls.create({
    long_url: "https://example.com/very/long/url",
    custom_alias: "my-link",
    tags: ["a"],
    expiration_date: new Date(),
  });
  const code: string = link.short_code;
  const clicks: number = (await client.urls.get(code, { signal })).click_count;
  const page = await client.urls.list({ limit: 20, offset: 0, status: "active", sort: "created_at", order: "desc" });
  const more: boolean = page.pagination.has_more;
  for await (const each of client.urls.iterate({ tag: "a", pageSize: 50 })) {
    const url: string = each.long_url;
    void url;
  }
  await client.urls.update(code, { description: null, tags: ["b"] });
  const smart: Link = await client.urls.create({
    long_url: "https://example.com/",
    password: "open sesame",
    rules: [{ conditions: { os: ["ios"], country: "FR", query: { utm: "x" }, after: new Date() }, long_url: "https://example.fr/" }],
    variants: [{ long_url: "https://example.com/a", weight: 1 }, { long_url: "https://example.com/b", weight: 3 }],
    expired_redirect: "https://example.com/gone",
  });
  const firstRule: ShortURL.RedirectRule | undefined = smart.rules[0];
  const weights: number[] = smart.variants.map((variant) => variant.weight);
  const locked: boolean = smart.password_protected;
  await client.urls.update(smart.short_code, { password: null, rules: null, variants: null, expired_redirect: null });
  const onDomain: string | null = (await client.urls.get(smart.short_code, { domain: "go.example.com", signal })).domain;
  void [firstRule, weights, locked, onDomain];
  const bulk = await client.urls.bulkCreate(["https://example.com/1", { long_url: "https://example.com/2" }]);
  const failedCodes: string[] = bulk.failed.map((item) => item.code);
  const png: Uint8Array = await client.urls.qr(code, { size: 200, format: "png" });
  const report: LinkAnalytics = await client.analytics.get(code, { period: "7d", granularity: "day" });
  const countries = report.geographic_data.map((row) => row.country_code);
  const summary = await client.analytics.summary({ period: "30d" });
  const top: number | undefined = summary.top_performing_urls[0]?.clicks;
  const hook: WebhookCreated = await client.webhooks.create({
    url: "https://your-app.com/webhook",
    events: ["url.clicked", "url.created", "url.expired"],
    secret: "your_webhook_secret",
  });
  const delivered: "pending" | "delivered" | "failed" = (await client.webhooks.test(hook.webhook_id)).status;
  const key = await client.apiKeys.create({ name: "My API Key", permissions: ["read", "write"], rate_limit: 5000 });
  const effective: number = key.effective_rate_limit;
  const keys: ShortURL.ApiKey[] = await client.apiKeys.list();
  try {
    await client.urls.delete(code);
  } catch (error) {
    if (error instanceof RateLimitError) {
      const wait: number | null = error.retryAfter;
      void wait;
    } else if (error instanceof ShortURLError) {
      const described: string = `${error.code} ${error.status ?? "-"} ${error.message} ${error.requestId ?? ""}`;
      return described;
    }
    throw error;
  }
  return [clicks, more, failedCodes, png.length, countries, top, delivered, effective, keys.length].join();
}
