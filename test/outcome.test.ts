// Which kind a failed call is: what its metric says and the level its log line gets.

import { describe, expect, it } from 'vitest';
import { catalog, toWire, gatewayError, CoreError } from '../src/errors.ts';
import { failureOutcome, FLOOD_REFUSALS } from '../src/outcome.ts';

describe('failureOutcome', () => {
  it('calls an OpenIM server code or an SDK argument error a business error', () => {
    for (const code of [1301, 1302, 1402, 1404, 10002, 10304]) expect(failureOutcome(toWire(new CoreError(code, 'no'))), String(code)).toBe('business_error');
  });

  it('calls a crash, a timeout, an internal error, an unreachable upstream or a core network error a fault', () => {
    for (const name of ['GW_SESSION_CRASHED', 'GW_CALL_TIMEOUT', 'GW_INTERNAL', 'GW_UPSTREAM_UNAVAILABLE', 'GW_HEAP_LIMIT_OVERRIDDEN'] as const) {
      expect(failureOutcome(toWire(gatewayError(name))), name).toBe('fault');
    }
    for (const code of [10000, 10001, 10005, 10006]) expect(failureOutcome(toWire(new CoreError(code, 'net'))), String(code)).toBe('fault');
    expect(failureOutcome(toWire(new Error('unexpected')))).toBe('fault'); // unknown errors become GW_INTERNAL
  });

  it('calls every other catalog error a gateway refusal', () => {
    for (const name of ['GW_BAD_ARGUMENTS', 'GW_NOT_LOGGED_IN', 'GW_RATE_LIMITED', 'GW_BUSY', 'GW_DRAINING', 'GW_SESSION_RESTARTING', 'GW_SESSION_QUARANTINED'] as const) {
      expect(failureOutcome(toWire(gatewayError(name))), name).toBe('refused');
    }
  });

  it('logs only refusals at debug for the flood kinds', () => {
    for (const name of FLOOD_REFUSALS) {
      expect(Object.hasOwn(catalog, name), name).toBe(true);
      expect(failureOutcome({ name, code: 0, message: '' })).toBe('refused');
    }
  });
});
