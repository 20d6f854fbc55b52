/** `client.domains`: the server's short domains. Anyone signed in lists them (a link may be
 * made on any: `urls.create({ domain })`); admins add, change and remove them. */

import { type Transport, segment } from "./http.js";
import type {
  AddDomainParams,
  Domain,
  DomainDeleted,
  RequestOptions,
  UpdateDomainParams,
} from "./types.js";

function path(host: string): string {
  return `/domains/${segment(host)}`;
}

export class Domains {
  constructor(private readonly transport: Transport) {}

  /** The default domain first, then every added one, with their link counts (`GET /domains`). */
  async list(options?: RequestOptions): Promise<Domain[]> {
    const data = await this.transport.send<{ domains: Domain[] }>(
      { method: "GET", path: "/domains" },
      options,
    );
    return data.domains;
  }

  /** Serve short links on `host` too (`POST /domains`, admins; point its DNS at the server).
   * `DOMAIN_EXISTS` (409) when it is served already. */
  add(params: AddDomainParams, options?: RequestOptions): Promise<Domain> {
    return this.transport.send({ method: "POST", path: "/domains", body: params }, options);
  }

  /** Change a domain's redirects (`PATCH /domains/{host}`, admins): only the fields given
   * change, `null` removes one. */
  update(host: string, changes: UpdateDomainParams, options?: RequestOptions): Promise<Domain> {
    return this.transport.send(
      { method: "PATCH", path: path(host), body: changes, idempotent: true },
      options,
    );
  }

  /** Stop serving a domain (`DELETE /domains/{host}`, admins); `DOMAIN_IN_USE` (409) while
   * links, deleted ones too, are on it. */
  remove(host: string, options?: RequestOptions): Promise<DomainDeleted> {
    return this.transport.send({ method: "DELETE", path: path(host) }, options);
  }
}
