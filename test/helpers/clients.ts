// Fake SessionClients: record every callback, in order, and every close.

import type { Principal, SessionClient } from '../../src/supervisor/types.ts';

export interface RecordedEvent {
  readonly event: string;
  readonly data: string;
  readonly errCode: number;
  readonly errMsg: string;
}

let seq = 0;

export class FakeClient implements SessionClient {
  readonly id: string;
  readonly principal: Principal;
  readonly events: RecordedEvent[] = [];
  closed: { code: number; reason: string } | null = null;
  #listeners = new Set<() => void>();

  constructor(principal: Principal) {
    this.principal = principal;
    this.id = `c${++seq}`;
  }

  sendEvent(event: string, data: string, errCode: number, errMsg: string): void {
    this.events.push({ event, data, errCode, errMsg });
    for (const l of this.#listeners) l();
  }

  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }

  names(): string[] {
    return this.events.map((e) => e.event);
  }

  /** Resolves with the first event (from index `from`) matching; rejects after `timeoutMs`. */
  waitFor(pred: string | ((e: RecordedEvent) => boolean), timeoutMs = 5000, from = 0): Promise<RecordedEvent> {
    const match = typeof pred === 'string' ? (e: RecordedEvent) => e.event === pred : pred;
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.events.slice(from).find(match);
        if (!hit) return false;
        this.#listeners.delete(check);
        clearTimeout(timer);
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(check);
        reject(new Error(`client ${this.id}: no matching event within ${timeoutMs} ms; saw ${this.names().join(',')}`));
      }, timeoutMs);
      if (!check()) this.#listeners.add(check);
    });
  }
}

export function fakeClient(userID: string, platformID = 5, token = `tok-${userID}-secret`): FakeClient {
  return new FakeClient({ userID, platformID, token });
}
