/** The ES-module entry of `@shorturl/sdk`: `import ShortURL, { ShortURLError } from '@shorturl/sdk'`.
 * It re-exports the CommonJS build, so both entries share one set of classes (`instanceof`
 * holds whichever way an error was imported). */

import ShortURL from "./index.js";

export default ShortURL;
export { ShortURL };

export const ShortURLError = ShortURL.ShortURLError;
export type ShortURLError = ShortURL.ShortURLError;
export const RateLimitError = ShortURL.RateLimitError;
export type RateLimitError = ShortURL.RateLimitError;
export const NetworkError = ShortURL.NetworkError;
export type NetworkError = ShortURL.NetworkError;
export const TimeoutError = ShortURL.TimeoutError;
export type TimeoutError = ShortURL.TimeoutError;
export const DEFAULT_BASE_URL = ShortURL.DEFAULT_BASE_URL;

export type {
  AccountDeleted,
  AddDomainParams,
  AnalyticsParams,
  AnalyticsSummary,
  ApiKey,
  ApiKeyCreated,
  ApiKeyRevoked,
  BotShare,
  BulkCreated,
  BulkFailed,
  BulkItem,
  BulkResult,
  CampaignData,
  CreateApiKeyParams,
  CreateUrlParams,
  CreateWebhookParams,
  DeletedLink,
  Domain,
  DomainDeleted,
  Granularity,
  Health,
  IterateUrlsParams,
  Link,
  LinkAnalytics,
  LinkInfo,
  LinkOwner,
  LinkPage,
  LinkRequestOptions,
  LinkStatus,
  ListUrlsParams,
  LoginParams,
  Options,
  PageMetadata,
  PageParams,
  Pagination,
  Period,
  Permission,
  Profile,
  QrCodeLinks,
  QrParams,
  RedirectRule,
  RequestOptions,
  RuleConditions,
  RuleDevice,
  RuleOs,
  ShortURLErrorInit,
  SignupParams,
  SortField,
  SummaryParams,
  TimePoint,
  Timestamp,
  Token,
  UpdateDomainParams,
  UpdateProfileParams,
  UpdateUrlParams,
  UpdateWebhookParams,
  Variant,
  Webhook,
  WebhookCreated,
  WebhookDeleted,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookEvent,
} from "./index.js";
