/** `client.analytics`: the click report of one link, and the summary over all of yours. */

import type { Transport } from "./http.js";
import type { Urls } from "./urls.js";
import type {
  AnalyticsParams,
  AnalyticsSummary,
  LinkAnalytics,
  RequestOptions,
  SummaryParams,
} from "./types.js";

export class Analytics {
  constructor(
    private readonly transport: Transport,
    private readonly urls: Urls,
  ) {}

  /** Totals, unique clicks, a time series, countries, referrers, devices, browsers and
   * systems of one short URL (`GET /urls/{code}/analytics?period=7d&granularity=day`). */
  get(code: string, params: AnalyticsParams = {}, options?: RequestOptions): Promise<LinkAnalytics> {
    return this.urls.analytics(code, params, options);
  }

  /** Totals, top links and click trends of all your links (`GET /analytics/summary`). */
  summary(params: SummaryParams = {}, options?: RequestOptions): Promise<AnalyticsSummary> {
    return this.transport.send(
      { method: "GET", path: "/analytics/summary", query: { ...params } },
      options,
    );
  }
}
