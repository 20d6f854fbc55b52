/**
 * `@shorturl/sdk`: the client of a shorturl server's API v1.
 *
 *     const ShortURL = require('@shorturl/sdk');          // or: import ShortURL from '@shorturl/sdk'
 *     const client = new ShortURL({ apiKey: 'sk_live_…' }); // $SHORTURL_URL, else localhost:8080
 *     const result = await client.urls.create({ long_url: 'https://example.com/very/long/url' });
 *     console.log(result.short_url);
 *
 * Zero dependencies: the platform's `fetch` (Node 18+, browsers, Deno). In CommonJS the
 * module *is* the `ShortURL` class, with the errors and types as its members.
 */

import { Auth, ApiKeys as ApiKeysResource, User as UserResource } from "./accounts.js";
import { Analytics as AnalyticsResource } from "./analytics.js";
import { Domains as DomainsResource } from "./domains.js";
import * as errors from "./errors.js";
import { type ClientOptions, DEFAULT_BASE_URL as DEFAULT_URL, Transport } from "./http.js";
import type * as api from "./types.js";
import { Urls as UrlsResource } from "./urls.js";
import { Webhooks as WebhooksResource } from "./webhooks.js";

/**
 * A client of one shorturl server.
 *
 * `apiKey` (sent as `X-API-Key`; default `$SHORTURL_API_KEY`) or `token` (from
 * `client.auth.login`); neither means anonymous. `baseUrl`: default `$SHORTURL_URL`, else
 * `http://localhost:8080`. `timeout` in ms per attempt. Idempotent calls (GET, PUT, DELETE
 * and updates) are retried up to `maxRetries` times on network errors, 429 and 502/503/504,
 * with backoff and jitter or after the server's `Retry-After`; creations never are.
 * Every method takes a last `{ signal, timeout }` argument.
 */
class ShortURL {
  /** Short URLs: create, get, list, iterate, update, delete, bulkCreate, qr, … */
  readonly urls: UrlsResource;
  /** Click reports: `get(code, { period, granularity })` and `summary()`. */
  readonly analytics: AnalyticsResource;
  /** Webhooks and their delivery log. */
  readonly webhooks: WebhooksResource;
  /** The server's short domains (admins add and remove them). */
  readonly domains: DomainsResource;
  /** Your API keys. */
  readonly apiKeys: ApiKeysResource;
  /** Your profile and account. */
  readonly user: UserResource;
  /** Sign-up and login. */
  readonly auth: Auth;
  private readonly transport: Transport;

  constructor(options: ShortURL.Options = {}) {
    this.transport = new Transport(options);
    this.urls = new UrlsResource(this.transport);
    this.analytics = new AnalyticsResource(this.transport, this.urls);
    this.webhooks = new WebhooksResource(this.transport);
    this.domains = new DomainsResource(this.transport);
    this.apiKeys = new ApiKeysResource(this.transport);
    this.user = new UserResource(this.transport);
    this.auth = new Auth(this.transport);
  }

  /** The server's root URL (the API is under `/api/v1` of it). */
  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** The server's health and the state of its database and cache (`GET /health`). */
  health(options?: api.RequestOptions): Promise<api.Health> {
    return this.transport.send({ method: "GET", path: "/health", root: true, expect: "json" }, options);
  }
}

namespace ShortURL {
  export type Options = ClientOptions;
  export const DEFAULT_BASE_URL = DEFAULT_URL;

  export import ShortURLError = errors.ShortURLError;
  export import RateLimitError = errors.RateLimitError;
  export import NetworkError = errors.NetworkError;
  export import TimeoutError = errors.TimeoutError;
  export type ShortURLErrorInit = errors.ShortURLErrorInit;

  export type Urls = UrlsResource;
  export type Analytics = AnalyticsResource;
  export type Webhooks = WebhooksResource;
  export type Domains = DomainsResource;
  export type ApiKeys = ApiKeysResource;
  export type User = UserResource;

  export type AccountDeleted = api.AccountDeleted;
  export type AddDomainParams = api.AddDomainParams;
  export type AnalyticsParams = api.AnalyticsParams;
  export type AnalyticsSummary = api.AnalyticsSummary;
  export type ApiKey = api.ApiKey;
  export type ApiKeyCreated = api.ApiKeyCreated;
  export type ApiKeyRevoked = api.ApiKeyRevoked;
  export type BotShare = api.BotShare;
  export type BulkCreated = api.BulkCreated;
  export type BulkFailed = api.BulkFailed;
  export type BulkItem = api.BulkItem;
  export type BulkResult = api.BulkResult;
  export type CampaignData = api.CampaignData;
  export type CreateApiKeyParams = api.CreateApiKeyParams;
  export type CreateUrlParams = api.CreateUrlParams;
  export type CreateWebhookParams = api.CreateWebhookParams;
  export type DeletedLink = api.DeletedLink;
  export type Domain = api.Domain;
  export type DomainDeleted = api.DomainDeleted;
  export type Granularity = api.Granularity;
  export type Health = api.Health;
  export type IterateUrlsParams = api.IterateUrlsParams;
  export type Link = api.Link;
  export type LinkAnalytics = api.LinkAnalytics;
  export type LinkInfo = api.LinkInfo;
  export type LinkOwner = api.LinkOwner;
  export type LinkPage = api.LinkPage;
  export type LinkRequestOptions = api.LinkRequestOptions;
  export type LinkStatus = api.LinkStatus;
  export type ListUrlsParams = api.ListUrlsParams;
  export type LoginParams = api.LoginParams;
  export type PageMetadata = api.PageMetadata;
  export type PageParams = api.PageParams;
  export type Pagination = api.Pagination;
  export type Period = api.Period;
  export type Permission = api.Permission;
  export type Profile = api.Profile;
  export type QrCodeLinks = api.QrCodeLinks;
  export type QrParams = api.QrParams;
  export type RedirectRule = api.RedirectRule;
  export type RequestOptions = api.RequestOptions;
  export type RuleConditions = api.RuleConditions;
  export type RuleDevice = api.RuleDevice;
  export type RuleOs = api.RuleOs;
  export type SignupParams = api.SignupParams;
  export type SortField = api.SortField;
  export type SummaryParams = api.SummaryParams;
  export type TimePoint = api.TimePoint;
  export type Timestamp = api.Timestamp;
  export type Token = api.Token;
  export type UpdateDomainParams = api.UpdateDomainParams;
  export type UpdateProfileParams = api.UpdateProfileParams;
  export type UpdateUrlParams = api.UpdateUrlParams;
  export type UpdateWebhookParams = api.UpdateWebhookParams;
  export type Variant = api.Variant;
  export type Webhook = api.Webhook;
  export type WebhookCreated = api.WebhookCreated;
  export type WebhookDeleted = api.WebhookDeleted;
  export type WebhookDelivery = api.WebhookDelivery;
  export type WebhookDeliveryPage = api.WebhookDeliveryPage;
  export type WebhookEvent = api.WebhookEvent;
}

// `require('@shorturl/sdk').default` and `.ShortURL` are the class too, for code (and
// bundlers) that expect an ES-module-shaped CommonJS export.
Object.defineProperty(ShortURL, "default", { value: ShortURL });
Object.defineProperty(ShortURL, "ShortURL", { value: ShortURL });

export = ShortURL;
