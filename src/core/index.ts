// The OpenIM SDK core: createCore(init) opens the session's local store and returns the
// functions the gateway dispatches to. Login starts the long connection and sync.

import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreFactory, CoreFunction, CoreInit, SdkCore } from './contract.ts';
import { authFunctions, logoutFromServer, type NetTuning } from './functions/auth.ts';
import { conversationFunctions } from './functions/conversation.ts';
import { friendFunctions } from './functions/friend.ts';
import { groupFunctions } from './functions/group.ts';
import { historyFunctions } from './functions/history.ts';
import { messageFunctions } from './functions/message.ts';
import { userFunctions } from './functions/user.ts';
import { userStatusFunctions } from './functions/user-status.ts';
import { CoreSession } from './core-session.ts';
import { Store } from './store/index.ts';
import { LoginStatus } from './types.ts';

const CLOSE_GRACE_MS = 2000;

/** createCore with network timings overridable (tests use short heartbeats and back-off). */
export function createCoreWith(init: CoreInit, tuning: NetTuning = {}): SdkCore {
  const s = new CoreSession(init);
  s.store = new Store(init.dataDir);
  // A send in flight when the previous worker died: failed unless the server echoes it later.
  s.store.tx(() => s.store!.messages.failStaleSending());
  const functions = Object.create(null) as Record<string, CoreFunction>;
  for (const group of [
    authFunctions(s, tuning),
    userFunctions(s),
    conversationFunctions(s),
    messageFunctions(s),
    historyFunctions(s),
    friendFunctions(s),
    groupFunctions(s),
    userStatusFunctions(s),
  ]) Object.assign(functions, group);
  let closing: Promise<void> | null = null;
  return {
    functions: Object.freeze(functions),
    // Every call is answered at its deadline even if its work (a send, a pull) goes on.
    answerAtDeadline: true,
    close(reason) {
      closing ??= (async () => {
        s.log.info({ reason }, 'core: closing');
        // Only a real logout ends the device's server-side state; eviction and restarts do not.
        if (reason === 'logout' && s.loginStatus === LoginStatus.Logged) await logoutFromServer(s, s.opID('logout'));
        // From here on nothing is reported: a sync cut short by the shutdown is not a failure.
        s.closed = true;
        s.conn?.stop();
        s.shutdown.abort();
        s.loginStatus = LoginStatus.Logout;
        // Let the task in flight (if any) finish against the open store, briefly.
        await Promise.race([s.idle(), sleep(CLOSE_GRACE_MS, undefined, { ref: false })]);
        s.store?.close();
      })();
      return closing;
    },
  };
}

export const createCore: CoreFactory = (init) => createCoreWith(init);
