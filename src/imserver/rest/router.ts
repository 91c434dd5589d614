// The REST route table. Route groups live in their own files and register here, so a new group
// (friends, groups) is one more file and one more line in routes.ts.

import type { ImContext } from '../context.ts';
import { ImCode, imError } from '../errs.ts';
import type { Body } from './body.ts';

/** public: no token header (OpenIM's whitelist); user: any valid token; admin: an admin's token. */
type RouteAuth = 'public' | 'user' | 'admin';

export interface RouteRequest {
  readonly im: ImContext;
  readonly operationID: string;
  /** Empty for public routes. */
  readonly userID: string;
  readonly platformID: number;
  readonly isAdmin: boolean;
  readonly contentType: string;
  readonly raw: Buffer;
  /** `http://host:port` as the client addressed this server (for URLs in answers). */
  readonly base: string;
}

export interface Route {
  readonly auth: RouteAuth;
  /** raw routes get the body bytes in `req.raw` and `undefined` as body (the /jssdk protobuf routes). */
  readonly raw?: boolean;
  /**
   * The response `data`, or undefined for an empty response (the envelope then omits `data`);
   * or a promise of it (routes that touch files).
   */
  handle(req: RouteRequest, body: Body): unknown;
}

export class Router {
  #routes = new Map<string, Route>();

  add(path: string, route: Route): void {
    if (this.#routes.has(path)) throw new Error(`route ${path} registered twice`);
    this.#routes.set(path, route);
  }

  get(path: string): Route | undefined {
    return this.#routes.get(path);
  }

  paths(): string[] {
    return [...this.#routes.keys()].sort();
  }
}

/** authverify.CheckAccess: a non-admin may only act for itself. */
export function checkAccess(req: RouteRequest, userID: string): void {
  if (req.isAdmin || req.userID === userID) return;
  throw imError(ImCode.NoPermission, `${req.userID} may not act for ${userID}`);
}
