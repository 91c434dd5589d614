// A dropped tab's callbacks are kept for its return: in order, without connection/sync
// callbacks, not the echo of its own send, within count, byte and time bounds.

import { describe, expect, it } from 'vitest';
import { ParkedTabs } from '../../src/supervisor/parked-tabs.ts';

const cb = (event: string, data = '') => ({ event, data, errCode: 0, errMsg: '' });
const limits = { ttlMs: 1_000, maxEvents: 3, maxBytes: 1_000, maxTabs: 2 };

describe('ParkedTabs', () => {
  it('keeps what a parked tab missed, in order, but not connection/sync callbacks or its own echo', () => {
    const p = new ParkedTabs(limits);
    p.park('t1', 0);
    p.keep(cb('OnRecvNewMessages', '[1]'), undefined, 10);
    p.keep(cb('OnConnecting'), undefined, 20);
    p.keep(cb('OnSyncServerStart'), undefined, 20);
    p.keep(cb('OnRecvNewMessages', '[2]'), 't1', 30);
    p.keep(cb('OnConversationChanged', '[3]'), undefined, 40);
    expect(p.resume('t1', 50)!.map((c) => c.data)).toEqual(['[1]', '[3]']);
    expect(p.resume('t1', 60)).toBeNull(); // resumed once
    expect(p.resume('never', 60)).toBeNull();
  });

  it('keeps first what the socket never took, then what came after the drop, within the bounds', () => {
    const p = new ParkedTabs(limits);
    p.park('t1', 0, [cb('OnRecvNewMessages', '[1]'), cb('OnConnectSuccess'), cb('OnConversationChanged', '[2]')]);
    p.keep(cb('OnRecvNewMessages', '[3]'), undefined, 10);
    expect(p.resume('t1', 20)!.map((c) => c.data)).toEqual(['[1]', '[2]', '[3]']);
    p.park('t2', 0, [1, 2, 3, 4].map((i) => cb('OnRecvNewMessages', `[${i}]`)));
    expect(p.resume('t2', 1)).toBeNull(); // past the count bound: comes back as a new tab
  });

  it('forgets a tab past the grace, past its count or byte bound, and the oldest past the tab bound', () => {
    const p = new ParkedTabs(limits);
    p.park('late', 0);
    expect(p.resume('late', 1_001)).toBeNull();
    p.park('many', 0);
    for (let i = 0; i < 4; i++) p.keep(cb('OnRecvNewMessages', `[${i}]`), undefined, 1);
    expect(p.resume('many', 2)).toBeNull();
    p.park('big', 0);
    p.keep(cb('OnRecvNewMessages', 'x'.repeat(2_000)), undefined, 1);
    expect(p.resume('big', 2)).toBeNull();
    p.park('a', 0);
    p.park('b', 0);
    p.park('c', 0);
    expect(p.resume('a', 1)).toBeNull();
    expect(p.resume('c', 1)).toEqual([]);
  });
});
