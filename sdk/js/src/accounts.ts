/** The account resources: `client.auth` (sign-up, login), `client.user` (profile, account)
 * and `client.apiKeys`. */

import { type Transport, segment } from "./http.js";
import type {
  AccountDeleted,
  ApiKey,
  ApiKeyCreated,
  ApiKeyRevoked,
  CreateApiKeyParams,
  LoginParams,
  Profile,
  RequestOptions,
  SignupParams,
  Token,
  UpdateProfileParams,
} from "./types.js";

export class Auth {
  constructor(private readonly transport: Transport) {}

  /** Create an account on the free plan (`POST /auth/signup`). */
  signup(params: SignupParams, options?: RequestOptions): Promise<Profile> {
    return this.transport.send({ method: "POST", path: "/auth/signup", body: params }, options);
  }

  /** Trade a login and password for a bearer token (`POST /auth/login`): use it as
   * `new ShortURL({ token: result.access_token })`. */
  login(params: LoginParams, options?: RequestOptions): Promise<Token> {
    return this.transport.send({ method: "POST", path: "/auth/login", body: params }, options);
  }
}

export class User {
  constructor(private readonly transport: Transport) {}

  /** Your profile, plan and usage (`GET /user/profile`). */
  profile(options?: RequestOptions): Promise<Profile> {
    return this.transport.send({ method: "GET", path: "/user/profile" }, options);
  }

  /** Change your profile (`PATCH /user/profile`). */
  updateProfile(changes: UpdateProfileParams, options?: RequestOptions): Promise<Profile> {
    return this.transport.send(
      { method: "PATCH", path: "/user/profile", body: changes, idempotent: true },
      options,
    );
  }

  /** Delete your account with its keys, webhooks and links (`DELETE /user/account`). */
  deleteAccount(options?: RequestOptions): Promise<AccountDeleted> {
    return this.transport.send({ method: "DELETE", path: "/user/account" }, options);
  }
}

export class ApiKeys {
  constructor(private readonly transport: Transport) {}

  /** Your API keys, prefixes only (`GET /user/api-keys`). */
  async list(options?: RequestOptions): Promise<ApiKey[]> {
    const data = await this.transport.send<{ api_keys: ApiKey[] }>(
      { method: "GET", path: "/user/api-keys" },
      options,
    );
    return data.api_keys;
  }

  /** Create an API key (`POST /user/api-keys`); `result.key` is shown this once. A
   * `rate_limit` above the plan's is kept, and `effective_rate_limit` says what applies. */
  create(params: CreateApiKeyParams, options?: RequestOptions): Promise<ApiKeyCreated> {
    return this.transport.send({ method: "POST", path: "/user/api-keys", body: params }, options);
  }

  /** Revoke an API key (`DELETE /user/api-keys/{key_id}`): it stops working at once. */
  revoke(keyId: string, options?: RequestOptions): Promise<ApiKeyRevoked> {
    return this.transport.send(
      { method: "DELETE", path: `/user/api-keys/${segment(keyId)}` },
      options,
    );
  }

  /** The same as `revoke`. */
  delete(keyId: string, options?: RequestOptions): Promise<ApiKeyRevoked> {
    return this.revoke(keyId, options);
  }
}
