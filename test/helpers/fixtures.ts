// Shared fixtures (vitest `test.extend`) for tests that drive the real client through a whole
// stack, instead of each file starting, tracking and closing its own:
//
//   stackSetup  file    startStack's arguments; override per file with
//                       `test.override('stackSetup', { ... })` (the core is the real SDK core
//                       unless `deps.coreModule` names another)
//   stack       file    gateway + embedded IM server + supervisor and workers, closed after the file
//   login       file    login(userID, platformID?) -> a logged-in SdkUser (real open-im-sdk plus its
//                       CallbackLog), one per (userID, platform) per file, logged out after the file
//   client      test    client(userID, platformID?) -> a fresh logged-in SdkUser (another tab,
//                       another device), logged out after the test
//
// File-scoped fixtures are available to `test.beforeAll` / `test.afterAll` hooks too.

import { test as base } from 'vitest';
import type { GatewayDeps } from '../../src/index.ts';
import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import { startStack, type OptionOverrides, type Stack, type StackOptions } from './gateway.ts';
import { SdkUser } from './sdk-events.ts';

interface StackSetup {
  readonly overrides?: OptionOverrides;
  readonly deps?: GatewayDeps;
  readonly options?: StackOptions;
}

type Login = (userID: string, platformID?: number) => Promise<SdkUser>;

export const test = base
  .extend('stackSetup', { scope: 'file' }, {} as StackSetup)
  .extend('stack', { scope: 'file' }, async ({ stackSetup }, { onCleanup }): Promise<Stack> => {
    const stack = await startStack(stackSetup.overrides, { coreModule: DEFAULT_CORE_MODULE, ...stackSetup.deps }, stackSetup.options);
    onCleanup(() => stack.close());
    return stack;
  })
  .extend('login', { scope: 'file' }, ({ stack }, { onCleanup }): Login => {
    const users = new Map<string, Promise<SdkUser>>();
    onCleanup(async () => {
      for (const u of users.values()) await (await u.catch(() => undefined))?.logout();
    });
    return (userID, platformID = 5) => {
      const key = `${platformID}:${userID}`;
      let u = users.get(key);
      if (!u) {
        u = SdkUser.login(stack, userID, platformID);
        users.set(key, u);
      }
      return u;
    };
  })
  .extend('client', ({ stack }, { onCleanup }): Login => {
    const made: SdkUser[] = [];
    onCleanup(async () => {
      for (const u of made) await u.logout();
    });
    return async (userID, platformID = 5) => {
      const u = await SdkUser.login(stack, userID, platformID);
      made.push(u);
      return u;
    };
  });

export { describe, expect, vi } from 'vitest';
