// Logged-in real clients (open-im-sdk@3.5.2) on a Stack, with every callback they receive
// recorded in order (CallbackLog), and bounded waits on them.

import { CbEvents, type OpenIMSDK } from 'open-im-sdk';
import { answer, CallbackLog, newSdk, until, type Heard } from './client.ts';
import type { Stack } from './gateway.ts';

/** A new real client logged in through the stack's gateway; `waitSync`: after its first sync too. */
export async function loggedInSdk(stack: Stack, userID: string, o: { platformID?: number; waitSync?: boolean } = {}): Promise<OpenIMSDK> {
  return (await SdkUser.loginWith(stack, userID, newSdk(), { waitSync: false, ...o })).sdk;
}

export class SdkUser {
  readonly sdk: OpenIMSDK;
  readonly userID: string;
  readonly log: CallbackLog;

  private constructor(sdk: OpenIMSDK, userID: string) {
    this.sdk = sdk;
    this.userID = userID;
    this.log = new CallbackLog(sdk);
  }

  /** Every callback so far, in arrival order. */
  get events(): readonly Heard[] {
    return this.log.heard;
  }

  /** A new client for `userID`, logged in through the stack's gateway, first sync finished. */
  static login(stack: Stack, userID: string, platformID = 5): Promise<SdkUser> {
    return SdkUser.loginWith(stack, userID, newSdk(), { platformID });
  }

  /** Log `sdk` in; `waitSync: false` resolves when login() does, before the sync finishes. */
  static async loginWith(stack: Stack, userID: string, sdk: OpenIMSDK, o: { platformID?: number; waitSync?: boolean } = {}): Promise<SdkUser> {
    const platformID = o.platformID ?? 5;
    const u = new SdkUser(sdk, userID);
    const token = await stack.token(userID, platformID);
    await until(u.sdk.login({ userID, token, platformID, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url }), 15_000, `${userID} login`);
    if (o.waitSync !== false) await u.waitEvent(CbEvents.OnSyncServerFinish);
    return u;
  }

  /** The index the next recorded event gets (pass to waitEvent as `from`). */
  mark(): number {
    return this.log.heard.length;
  }

  /** The data of the first `event` at or after `from` whose data satisfies `pred` (bounded). */
  async waitEvent<T = any>(event: string, pred: (data: T) => boolean = () => true, from = 0, ms = 10_000): Promise<T> {
    return (await this.log.waitFor<T>(event, pred, ms, from)).data as T;
  }

  /** Await a client call and unwrap its `data`. */
  async call<T = any>(p: Promise<unknown>, what = 'call', ms = 15_000): Promise<T> {
    return (await answer<T>(p, ms, `${this.userID} ${what}`)).data;
  }

  async logout(): Promise<void> {
    await this.sdk.logout().catch(() => undefined);
  }
}
