// CommonJS TypeScript: `import x = require()` gives the class itself, errors as its members.

import ShortURL = require("@shorturl/sdk");

const client = new ShortURL({ apiKey: "sk_live_x" });

export async function shorten(url: string): Promise<string> {
  try {
    const result: ShortURL.Link = await client.urls.create({ long_url: url, custom_alias: "my-link" });
    return result.short_url;
  } catch (error) {
    if (error instanceof ShortURL.ShortURLError && error.code === "CUSTOM_ALIAS_TAKEN") return "taken";
    throw error;
  }
}
