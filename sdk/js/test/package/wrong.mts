// Must NOT compile: test/package.test.mjs checks that tsc reports each of these lines.

import ShortURL from "@shorturl/sdk";

const client = new ShortURL({ apiKey: "sk_live_x" });

export async function wrong(): Promise<void> {
  await client.urls.create({ longUrl: "https://example.com/" }); // WRONG: longUrl
  const result = await client.urls.get("abc");
  console.log(result.short_urll); // WRONG: short_urll
  await client.analytics.get("abc", { period: "2w" }); // WRONG: period
  const count: string = result.click_count; // WRONG: click_count
  void count;
}

export async function wrongSmart(): Promise<void> {
  await client.urls.create({ long_url: "https://x.example/", rules: [{ conditions: { os: "beos" }, long_url: "https://y.example/" }] }); // WRONG: os
  await client.urls.update("abc", { variants: [{ url: "https://y.example/", weight: 1 }] }); // WRONG: url
  const made = await client.urls.get("abc");
  const protectedFlag: string = made.password_protected; // WRONG: password_protected
  void protectedFlag;
}
