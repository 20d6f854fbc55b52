/** `client.urls`: create, read, change, delete and list short URLs, and their QR codes. */

import { type Transport, segment } from "./http.js";
import type {
  AnalyticsParams,
  BulkItem,
  BulkResult,
  CreateUrlParams,
  DeletedLink,
  IterateUrlsParams,
  Link,
  LinkAnalytics,
  LinkInfo,
  LinkPage,
  LinkRequestOptions,
  ListUrlsParams,
  QrCodeLinks,
  QrParams,
  RequestOptions,
  UpdateUrlParams,
} from "./types.js";

export class Urls {
  constructor(private readonly transport: Transport) {}

  /** Create a short URL (`POST /urls`); a random code unless `custom_alias` is given.
   * Not retried (a retried POST could create it twice). */
  create(params: CreateUrlParams, options?: RequestOptions): Promise<Link> {
    if (typeof params?.long_url !== "string") {
      throw new TypeError("urls.create needs { long_url: 'https://…' }");
    }
    return this.transport.send({ method: "POST", path: "/urls", body: params }, options);
  }

  /** Details of a short URL, with its click count and owner (`GET /urls/{code}`). */
  get(code: string, options?: LinkRequestOptions): Promise<Link> {
    return this.transport.send(
      { method: "GET", path: `/urls/${segment(code)}`, query: onDomain(options) },
      options,
    );
  }

  /** One page of your short URLs (`GET /urls`), with `pagination.has_more`. */
  list(params: ListUrlsParams = {}, options?: RequestOptions): Promise<LinkPage> {
    return this.transport.send({ method: "GET", path: "/urls", query: { ...params } }, options);
  }

  /** Every one of your short URLs that matches, page by page as you iterate:
   * `for await (const link of client.urls.iterate({ tag: "x" })) …`. */
  async *iterate(params: IterateUrlsParams = {}, options?: RequestOptions): AsyncGenerator<Link> {
    const { pageSize = 100, ...filters } = params;
    let offset = 0;
    for (;;) {
      const page = await this.list({ ...filters, limit: pageSize, offset }, options);
      yield* page.urls;
      if (!page.pagination.has_more || page.urls.length === 0) return;
      offset += page.urls.length;
    }
  }

  /** Change a short URL (`PATCH /urls/{code}`): only the fields given change, `null` clears
   * one. Setting fields to given values is idempotent, so this is retried like a PUT. */
  update(code: string, changes: UpdateUrlParams, options?: LinkRequestOptions): Promise<Link> {
    return this.transport.send(
      {
        method: "PATCH",
        path: `/urls/${segment(code)}`,
        query: onDomain(options),
        body: changes,
        idempotent: true,
      },
      options,
    );
  }

  /** Delete a short URL (`DELETE /urls/{code}`); its code is never handed out again. */
  delete(code: string, options?: LinkRequestOptions): Promise<DeletedLink> {
    return this.transport.send(
      { method: "DELETE", path: `/urls/${segment(code)}`, query: onDomain(options) },
      options,
    );
  }

  /** Create up to 1,000 short URLs at once (`POST /urls/bulk`); each item is created or
   * fails on its own, reported in `created` / `failed`, not thrown. */
  bulkCreate(urls: BulkItem[], options?: RequestOptions): Promise<BulkResult> {
    const items = urls.map((item) => (typeof item === "string" ? { long_url: item } : item));
    return this.transport.send(
      { method: "POST", path: "/urls/bulk", body: { urls: items } },
      options,
    );
  }

  /** The QR code image of a short URL, as bytes (`GET /qr/{code}`). */
  qr(code: string, params: QrParams = {}, options?: RequestOptions): Promise<Uint8Array> {
    return this.transport.send(
      { method: "GET", path: `/qr/${segment(code)}`, query: { ...params }, expect: "bytes" },
      options,
    );
  }

  /** Where the QR images of a short URL can be downloaded (`GET /urls/{code}/qr`). */
  qrLinks(code: string, options?: RequestOptions): Promise<QrCodeLinks> {
    return this.transport.send({ method: "GET", path: `/urls/${segment(code)}/qr` }, options);
  }

  /** Where a short URL goes, without following it (`GET /{code}/info`, public). */
  info(code: string, options?: RequestOptions): Promise<LinkInfo> {
    return this.transport.send(
      { method: "GET", path: `/${segment(code)}/info`, root: true },
      options,
    );
  }

  /** The click report of one short URL; the same as `client.analytics.get(code, …)`. */
  analytics(
    code: string,
    params: AnalyticsParams = {},
    options?: RequestOptions,
  ): Promise<LinkAnalytics> {
    return this.transport.send(
      { method: "GET", path: `/urls/${segment(code)}/analytics`, query: { ...params } },
      options,
    );
  }
}

/** `?domain=` for a link on another short domain than the default. */
function onDomain(options?: LinkRequestOptions): Record<string, string> | undefined {
  return options?.domain ? { domain: options.domain } : undefined;
}
