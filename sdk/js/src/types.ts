/** The shapes the API v1 sends and takes, field for field as in its JSON (seed 003 names). */

/** An ISO-8601 time as the API sends it, e.g. `2024-01-15T10:30:00Z`. */
export type Timestamp = string;

export type LinkStatus = "active" | "expired" | "disabled" | "deleted";
export type Period = "1h" | "24h" | "7d" | "30d" | "90d" | "1y" | "all";
export type Granularity = "hour" | "day" | "week" | "month";
export type Permission = "read" | "write";
export type WebhookEvent =
  | "url.clicked"
  | "url.created"
  | "url.updated"
  | "url.deleted"
  | "url.expired";

/** What every call takes besides its own arguments. */
export interface RequestOptions {
  /** Abort the call (and any retry it is waiting for). */
  signal?: AbortSignal;
  /** Milliseconds for each attempt; overrides the client's `timeout`. */
  timeout?: number;
}

/** A call on one link: `domain` picks the link of that code on another short domain. */
export interface LinkRequestOptions extends RequestOptions {
  domain?: string;
}

// links

export interface LinkOwner {
  user_id: string;
  username: string | null;
}

/** Who a rule applies to; every condition given must hold, a list means "any of". */
export interface RuleConditions {
  device?: RuleDevice | RuleDevice[];
  os?: RuleOs | RuleOs[];
  /** ISO 3166-1 alpha-2 codes, e.g. `"FR"`. */
  country?: string | string[];
  /** Language tags from Accept-Language, e.g. `"fr"` or `"pt-BR"`. */
  language?: string | string[];
  /** Query parameters the short URL was visited with (at most 10). */
  query?: Record<string, string>;
  after?: Timestamp | Date;
  before?: Timestamp | Date;
}

export type RuleDevice = "mobile" | "tablet" | "desktop";
export type RuleOs = "ios" | "android" | "windows" | "macos" | "linux";

/** Where visitors matching `conditions` go instead of the link's long_url (first match wins). */
export interface RedirectRule {
  conditions: RuleConditions;
  long_url: string;
}

/** One arm of an A/B test: a share `weight` (1–100) of visitors goes to `long_url`. */
export interface Variant {
  long_url: string;
  weight: number;
}

/** What the target page says about itself, read after creation (null until then). */
export interface PageMetadata {
  title: string | null;
  description: string | null;
  image: string | null;
  fetched_at: Timestamp | null;
}

export interface Link {
  short_url: string;
  short_code: string;
  long_url: string;
  custom_alias: string | null;
  qr_code_url: string | null;
  /** The link's short domain (see GET /domains); null: the server's default one. */
  domain: string | null;
  created_at: Timestamp;
  updated_at: Timestamp | null;
  expiration_date: Timestamp | null;
  max_clicks: number | null;
  description: string | null;
  tags: string[];
  click_count: number;
  last_clicked_at: Timestamp | null;
  status: LinkStatus;
  /** Who disabled it (`owner`, `admin`, `safety`, `inactivity`) and why; null while enabled. */
  disabled_by?: string | null;
  disabled_reason?: string | null;
  owner: LinkOwner | null;
  /** Visitors must enter a password first (the password itself is never sent back). */
  password_protected: boolean;
  /** Redirect rules in the order they are tried; `[]` when none. */
  rules: RedirectRule[];
  /** A/B destinations; `[]` when none. */
  variants: Variant[];
  /** Where visitors go once the link expired or ran out of clicks (else 410 Gone). */
  expired_redirect: string | null;
  metadata: PageMetadata;
  safe_browsing: { is_safe: boolean; last_checked: Timestamp | null };
  /** Seed-004 names of `long_url`, `short_code`, `expiration_date` and `click_count`. */
  url: string;
  alias: string;
  expires_at: Timestamp | null;
  visit_count: number;
  last_visited_at: Timestamp | null;
}

export interface CreateUrlParams {
  long_url: string;
  custom_alias?: string;
  /** When the link stops working (ISO-8601 text or a Date). */
  expiration_date?: Timestamp | Date;
  max_clicks?: number;
  description?: string;
  tags?: string[];
  /** Smart links (signed-in callers): visitors must enter this password first. */
  password?: string;
  /** Tried in order, first match wins; else the variants, else long_url (at most 20). */
  rules?: RedirectRule[];
  /** Weighted A/B destinations (2–10), sticky per visitor for the day. */
  variants?: Variant[];
  /** Where visitors go once the link expired or ran out of clicks. */
  expired_redirect?: string;
  /** Another short domain of the server's (admins add them); default: the server's own. */
  domain?: string;
}

/** Fields to change; absent fields stay as they are, `null` clears one. */
export interface UpdateUrlParams {
  long_url?: string;
  expiration_date?: Timestamp | Date | null;
  max_clicks?: number | null;
  description?: string | null;
  tags?: string[] | null;
  status?: "active" | "disabled";
  /** Why the link is disabled (kept with `status`). */
  disabled_reason?: string | null;
  /** `null` removes the password. */
  password?: string | null;
  /** `null` (or `[]`) removes every rule. */
  rules?: RedirectRule[] | null;
  /** `null` ends the A/B test. */
  variants?: Variant[] | null;
  expired_redirect?: string | null;
}

export type SortField = "created_at" | "updated_at" | "click_count" | "last_clicked_at";

export interface ListUrlsParams {
  /** At most 100 (default 20). */
  limit?: number;
  offset?: number;
  status?: LinkStatus;
  tag?: string;
  /** Search in the code, the long URL and the description. */
  q?: string;
  sort?: SortField;
  order?: "asc" | "desc";
}

export interface IterateUrlsParams extends Omit<ListUrlsParams, "limit" | "offset"> {
  /** Links fetched per request (at most 100, the default). */
  pageSize?: number;
}

export interface Pagination {
  total: number;
  limit: number;
  offset: number;
  page?: number | null;
  has_more: boolean;
}

export interface LinkPage {
  urls: Link[];
  pagination: Pagination;
}

export interface DeletedLink {
  message: string;
  short_code: string;
  deleted_at: Timestamp;
}

export interface LinkInfo {
  short_code: string;
  short_url?: string | null;
  long_url: string;
  status?: string | null;
  title: string | null;
  description: string | null;
  image: string | null;
  safe_browsing: { is_safe: boolean; last_checked: Timestamp | null } | null;
}

export interface QrParams {
  /** Pixels, at most 1000 (default 200). */
  size?: number;
  format?: "png" | "svg" | "jpg";
  /** Hex colours, e.g. `#000000`. */
  color?: string;
  background?: string;
}

export interface QrCodeLinks {
  qr_code_url: string;
  download_urls: Record<string, string>;
}

/** One item of a bulk creation: a long URL, or `create`'s parameters. */
export type BulkItem = string | CreateUrlParams;

export interface BulkCreated {
  index: number;
  short_url: string;
  short_code: string;
  long_url: string;
  custom_alias: string | null;
  description: string | null;
  tags: string[];
  expiration_date: Timestamp | null;
  created_at: Timestamp | null;
  status: "created";
}

export interface BulkFailed {
  index: number;
  long_url: string | null;
  custom_alias: string | null;
  error: string;
  code: string;
  details: unknown;
  status: "failed";
}

export interface BulkResult {
  created: BulkCreated[];
  failed: BulkFailed[];
  summary: { total: number; created: number; failed: number };
}

// analytics

export interface AnalyticsParams {
  period?: Period;
  granularity?: Granularity;
  /** Count clicks by known bots too (left out by default). */
  include_bots?: boolean;
}

export interface TimePoint {
  date: string;
  clicks: number;
  unique_clicks: number | null;
}

export interface Share {
  clicks: number;
  percentage: number | null;
}

export interface LinkAnalytics {
  short_code: string;
  total_clicks: number;
  unique_clicks: number | null;
  period: Period;
  granularity: Granularity;
  time_series: TimePoint[];
  geographic_data: Array<Share & { country: string | null; country_code: string | null }>;
  referrer_data: Array<Share & { referrer: string }>;
  device_data: Array<Share & { device_type: string }>;
  browser_data: Array<Share & { browser: string }>;
  os_data: Array<Share & { os: string }>;
  /** Clicks per `utm_source`, `utm_medium` and `utm_campaign` value. */
  utm_data: CampaignData;
  /** Robots' requests in the period (never in the totals unless `include_bots`). */
  bot_clicks: number;
  /** Link-preview fetchers' requests (Slack, WhatsApp, …). */
  preview_clicks: number;
  bot_data: BotShare[];
  /** Clicks per place a smart link sent them (rules, A/B variants). */
  destination_data: Array<Share & { destination: string; is_default: boolean }>;
}

/** One robot or link-preview fetcher and its requests. */
export interface BotShare {
  /** As crawlerdetect or ua-parser names it, e.g. `Googlebot`. */
  name: string;
  kind: "bot" | "preview";
  clicks: number;
}

export interface CampaignData {
  source: Array<Share & { value: string }>;
  medium: Array<Share & { value: string }>;
  campaign: Array<Share & { value: string }>;
}

export interface SummaryParams {
  period?: Period;
  include_bots?: boolean;
}

export interface AnalyticsSummary {
  total_urls: number;
  total_clicks: number;
  unique_clicks: number | null;
  active_urls: number | null;
  top_performing_urls: Array<{ short_code: string; clicks: number; click_rate: number | null }>;
  click_trends: {
    daily_average: number | null;
    weekly_growth: number | null;
    monthly_growth: number | null;
  } | null;
  bot_clicks: number;
  preview_clicks: number;
  bot_data: BotShare[];
  /** Admins only: requests in the period that matched no link. */
  orphan_visits?: number | null;
}

// accounts

export interface SignupParams {
  email: string;
  username: string;
  password: string;
  display_name?: string;
}

export type LoginParams =
  | { email: string; password: string }
  | { username: string; password: string };

export interface Token {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  expires_at: Timestamp;
  user_id: string;
}

export interface Profile {
  user_id: string;
  username: string;
  email: string;
  display_name: string | null;
  created_at: Timestamp;
  role: string;
  plan: string;
  usage_stats: {
    urls_created: number;
    total_clicks: number;
    monthly_quota: number | null;
    monthly_usage: number;
  };
}

export interface UpdateProfileParams {
  display_name?: string;
  email?: string;
  username?: string;
  /** A new password needs `current_password`. */
  password?: string;
  current_password?: string;
}

export interface AccountDeleted {
  message: string;
  user_id: string;
  links_erased: number;
}

export interface ApiKey {
  key_id: string;
  name: string;
  key_prefix: string;
  created_at: Timestamp;
  last_used: Timestamp | null;
  permissions: Permission[];
  /** The limit asked for (requests per hour), null for the plan's. */
  rate_limit: number | null;
  /** What the key really gets: min(rate_limit, the plan's). */
  effective_rate_limit: number;
}

export interface ApiKeyCreated extends ApiKey {
  /** The full key (`sk_live_…`), shown this once. */
  key: string;
}

export interface CreateApiKeyParams {
  name: string;
  permissions?: Permission[];
  rate_limit?: number;
}

export interface ApiKeyRevoked {
  message: string;
  key_id: string;
  revoked_at: Timestamp;
}

// domains

/** A short domain of the server: links may be made on it (`Link.domain`). */
export interface Domain {
  host: string;
  /** The server's own (SHORTURL_BASE_URL): it cannot be changed or removed. */
  is_default: boolean;
  /** Where `GET /` on this host goes; null: the server's home page. */
  root_redirect: string | null;
  /** Where an unknown code on this host goes; null: a 404. */
  not_found_redirect: string | null;
  /** Links on it, deleted ones left out. */
  links: number;
  /** Null for the default domain. */
  created_at: Timestamp | null;
}

export interface AddDomainParams {
  /** A host name, with `:port` if any. */
  host: string;
  root_redirect?: string;
  not_found_redirect?: string;
}

export interface UpdateDomainParams {
  root_redirect?: string | null;
  not_found_redirect?: string | null;
}

export interface DomainDeleted {
  message: string;
  host: string;
}

// webhooks

export interface Webhook {
  webhook_id: string;
  url: string;
  events: WebhookEvent[];
  is_active: boolean;
  consecutive_failures: number;
  created_at: Timestamp;
  /** When it was turned off (by you, or after repeated failures). */
  disabled_at: Timestamp | null;
}

export interface WebhookCreated extends Webhook {
  /** Signs every delivery (HMAC-SHA256); shown this once. */
  secret: string;
}

export interface CreateWebhookParams {
  url: string;
  events: WebhookEvent[];
  /** Made by the server when left out. */
  secret?: string;
}

export interface UpdateWebhookParams {
  url?: string;
  events?: WebhookEvent[];
  /** `true` turns a disabled webhook back on and clears its failure count. */
  is_active?: boolean;
  secret?: string;
}

export interface WebhookDeleted {
  message: string;
  webhook_id: string;
}

export interface WebhookDelivery {
  delivery_id: string;
  webhook_id: string;
  event: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  response_status: number | null;
  last_error: string | null;
  created_at: Timestamp;
  next_attempt_at: Timestamp | null;
  delivered_at: Timestamp | null;
  payload: Record<string, unknown>;
}

export interface WebhookDeliveryPage {
  deliveries: WebhookDelivery[];
  pagination: Pagination;
}

export interface PageParams {
  limit?: number;
  offset?: number;
}

export interface Health {
  status: string;
  time: Timestamp | null;
  [part: string]: unknown;
}
