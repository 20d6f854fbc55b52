/** `client.webhooks`: URLs the server calls, HMAC-signed, when your links change or are
 * clicked; their delivery log, test pings and redeliveries. */

import { type Transport, segment } from "./http.js";
import type {
  CreateWebhookParams,
  PageParams,
  RequestOptions,
  UpdateWebhookParams,
  Webhook,
  WebhookCreated,
  WebhookDeleted,
  WebhookDelivery,
  WebhookDeliveryPage,
} from "./types.js";

function path(webhookId: string, ...rest: string[]): string {
  return ["/webhooks", segment(webhookId), ...rest].join("/");
}

export class Webhooks {
  constructor(private readonly transport: Transport) {}

  /** Your webhooks (`GET /webhooks`). */
  async list(options?: RequestOptions): Promise<Webhook[]> {
    const data = await this.transport.send<{ webhooks: Webhook[] } | Webhook[]>(
      { method: "GET", path: "/webhooks" },
      options,
    );
    return Array.isArray(data) ? data : data.webhooks;
  }

  /** Register a webhook (`POST /webhooks`); the `secret` signing its deliveries is in the
   * answer this once. */
  create(params: CreateWebhookParams, options?: RequestOptions): Promise<WebhookCreated> {
    return this.transport.send({ method: "POST", path: "/webhooks", body: params }, options);
  }

  /** One of your webhooks (`GET /webhooks/{id}`). */
  get(webhookId: string, options?: RequestOptions): Promise<Webhook> {
    return this.transport.send({ method: "GET", path: path(webhookId) }, options);
  }

  /** Change a webhook (`PATCH /webhooks/{id}`): only the fields given change. */
  update(webhookId: string, changes: UpdateWebhookParams, options?: RequestOptions): Promise<Webhook> {
    return this.transport.send(
      { method: "PATCH", path: path(webhookId), body: changes, idempotent: true },
      options,
    );
  }

  /** Remove a webhook and its delivery log (`DELETE /webhooks/{id}`). */
  delete(webhookId: string, options?: RequestOptions): Promise<WebhookDeleted> {
    return this.transport.send({ method: "DELETE", path: path(webhookId) }, options);
  }

  /** Send a signed `ping` now (`POST /webhooks/{id}/test`); how the receiver answered. */
  test(webhookId: string, options?: RequestOptions): Promise<WebhookDelivery> {
    return this.transport.send({ method: "POST", path: path(webhookId, "test") }, options);
  }

  /** One page of the delivery log, newest first (`GET /webhooks/{id}/deliveries`). */
  deliveries(
    webhookId: string,
    params: PageParams = {},
    options?: RequestOptions,
  ): Promise<WebhookDeliveryPage> {
    return this.transport.send(
      { method: "GET", path: path(webhookId, "deliveries"), query: { ...params } },
      options,
    );
  }

  /** Every delivery in the log, newest first, page by page as you iterate. */
  async *iterateDeliveries(
    webhookId: string,
    params: { pageSize?: number } = {},
    options?: RequestOptions,
  ): AsyncGenerator<WebhookDelivery> {
    const limit = params.pageSize ?? 100;
    for (let offset = 0; ; ) {
      const page = await this.deliveries(webhookId, { limit, offset }, options);
      yield* page.deliveries;
      if (!page.pagination.has_more || page.deliveries.length === 0) return;
      offset += page.deliveries.length;
    }
  }

  /** Send an earlier delivery's payload again, as a new delivery. */
  redeliver(webhookId: string, deliveryId: string, options?: RequestOptions): Promise<WebhookDelivery> {
    return this.transport.send(
      { method: "POST", path: path(webhookId, "deliveries", segment(deliveryId), "redeliver") },
      options,
    );
  }
}
