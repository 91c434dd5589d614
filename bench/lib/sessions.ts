// Log a user in through the gateway the way a client does (upgrade, InitSDK, Login), timing it,
// and read the gateway's session list over the admin API. Shared by login-storm.ts and
// capacity.ts.

import { performance } from 'node:perf_hooks';
import { WireClient } from './wsclient.ts';

export interface LoginOutcome {
  readonly user: string;
  /** Upgrade → Login response, ms (also for a refusal or a timeout). */
  readonly ms: number;
  /** 0 when logged in; the gateway's code, or -1 for a failed upgrade or a timeout. */
  readonly errCode: number;
  readonly errMsg: string;
  /** Open client (logged in or not); null when the upgrade itself failed. */
  readonly client: WireClient | null;
}

export async function loginUser(url: string, user: string, token: string, timeoutMs: number): Promise<LoginOutcome> {
  const t0 = performance.now();
  let client: WireClient | null = null;
  try {
    client = await WireClient.connect(url, user, token);
    const r = await client.call('Login', [user, token], Math.max(1, timeoutMs - (performance.now() - t0)));
    return { user, ms: performance.now() - t0, errCode: r.errCode, errMsg: r.errMsg, client };
  } catch (e) {
    return { user, ms: performance.now() - t0, errCode: -1, errMsg: (e as Error).message, client };
  }
}

export interface SessionRow {
  readonly userID: string;
  readonly state: string;
  readonly restarts: number;
  readonly lastExit: { readonly reason: string } | null;
}

/** GET /admin/sessions (the gateway must run with `adminToken`). */
export async function listSessions(http: string, adminToken: string): Promise<SessionRow[]> {
  const res = await fetch(`${http}/admin/sessions`, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`/admin/sessions: HTTP ${res.status}`);
  return ((await res.json()) as { sessions: SessionRow[] }).sessions;
}

/** "watchdog ×3, exception ×1" from the sessions' last exits. */
export function exitSummary(rows: readonly SessionRow[]): string {
  const n = new Map<string, number>();
  for (const r of rows) if (r.lastExit) n.set(r.lastExit.reason, (n.get(r.lastExit.reason) ?? 0) + 1);
  return [...n].map(([k, v]) => `${k} ×${v}`).join(', ') || 'none';
}
