// One logged-in user's core state: the store, the network clients and the callback emitter.
// Modules (sync/, functions/) take a CoreSession and keep no state of their own beyond it.

import type { CoreInit } from './contract.ts';
import type { SenderProfile } from './msg/creators.ts';
import type { LongConn } from './net/long-conn.ts';
import type { RestClient } from './net/rest.ts';
import type { Store } from './store/index.ts';
import { LoginStatus, type SelfUserInfo } from './types.ts';

export class CoreSession {
  readonly init: CoreInit;
  readonly userID: string;
  readonly platformID: number;
  store: Store | null = null;
  rest: RestClient | null = null;
  conn: LongConn | null = null;
  token = '';
  /** SetAppBackgroundStatus: told to the server now (2004) and on every later dial. */
  background = false;
  loginStatus: number = LoginStatus.Logout;
  closed = false;
  /** Aborted when the session closes: cuts REST requests in flight. */
  readonly shutdown = new AbortController();
  /** Sequential chain for sync and push handling: one ingest at a time, in arrival order. */
  #chain: Promise<void> = Promise.resolve();
  #opSeq = 0;

  constructor(init: CoreInit) {
    this.init = init;
    this.userID = init.userID;
    this.platformID = init.platformID;
  }

  get log(): CoreInit['log'] {
    return this.init.log;
  }

  emit(event: string, data?: unknown, errCode?: number, errMsg?: string, origin?: string): void {
    if (this.closed) return;
    try {
      if (origin === undefined) this.init.emit(event, data, errCode, errMsg);
      else this.init.emit(event, data, errCode, errMsg, origin);
    } catch (e) {
      this.log.warn({ event, err: (e as Error).message }, 'core: emit failed');
    }
  }

  db(): Store {
    if (!this.store || this.store.closed) throw new Error('local store is closed');
    return this.store;
  }

  /** A fresh operationID for requests the core makes on its own. */
  opID(tag: string): string {
    return `core-${tag}-${Date.now().toString(36)}-${(++this.#opSeq).toString(36)}`;
  }

  self(): SelfUserInfo {
    return (
      this.store?.users.getSelf(this.userID) ?? {
        userID: this.userID,
        nickname: '',
        faceURL: '',
        createTime: 0,
        ex: '',
        attachedInfo: '',
        globalRecvMsgOpt: 0,
      }
    );
  }

  sender(): SenderProfile {
    const s = this.self();
    return { userID: this.userID, nickname: s.nickname, faceURL: s.faceURL, platformID: this.platformID };
  }

  /** Queues `fn` after every earlier sync/push task; failures are logged, never rethrown into the chain. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(() => (this.closed ? Promise.reject(new Error('session closed')) : fn()));
    this.#chain = run.then(
      () => undefined,
      (e: unknown) => {
        if (!this.closed) this.log.warn({ err: (e as Error).message }, 'core: sync task failed');
      },
    );
    return run;
  }

  /** Resolves after every queued task has run. */
  idle(): Promise<void> {
    return this.#chain;
  }
}
