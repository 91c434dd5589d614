// ConvChanges.refreshLatest: the one place that moves a conversation's latest message after its
// messages changed, stores the row and reports it (conv-changes.ts), on a real local store.

import { afterEach, describe, expect, it } from 'vitest';
import type { CoreLogger } from '../../src/core/contract.ts';
import { CoreSession } from '../../src/core/core-session.ts';
import { Store } from '../../src/core/store/index.ts';
import { emptyConversation } from '../../src/core/store/conversations.ts';
import { ConvChanges } from '../../src/core/sync/conv-changes.ts';
import { MsgStatus, SessionType, type MessageItem } from '../../src/core/types.ts';
import { tempDir } from './harness.ts';

const quiet: CoreLogger = { debug() {}, info() {}, warn() {}, error() {} };
const dirs: { cleanup(): void }[] = [];
const ID = 'si_me_peer';

function setup() {
  const d = tempDir('core-convchanges-');
  dirs.push(d);
  const events: [string, unknown][] = [];
  const s = new CoreSession({ userID: 'me', platformID: 5, dataDir: d.dir, apiAddress: '', wsAddress: '', emit: (e, data) => events.push([e, data]), log: quiet });
  const store = (s.store = new Store(d.dir));
  store.conversations.put(emptyConversation(ID, SessionType.Single, 'peer', ''), false);
  const message = (n: number): MessageItem =>
    ({ clientMsgID: `m${n}`, seq: n, sendID: 'peer', recvID: 'me', sessionType: SessionType.Single, contentType: 101, status: MsgStatus.Success, sendTime: 1000 + n, createTime: 1000 + n, content: `{"content":"${n}"}` }) as unknown as MessageItem;
  /** Change the messages, then refresh in the same transaction, as every caller does. */
  const change = (fn: () => void, reveal = false) => {
    const changes = new ConvChanges(s);
    store.tx(() => {
      fn();
      changes.refreshLatest(store.conversations.get(ID)!, reveal);
    });
    events.length = 0;
    changes.flush();
    return events.map(([e]) => e);
  };
  return { store, message, change, close: () => store.close() };
}

afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

describe('ConvChanges.refreshLatest', () => {
  it('stores the newest message as latestMsg and reports the conversation changed', () => {
    const t = setup();
    expect(t.change(() => t.store.messages.put(ID, t.message(1)))).toEqual(['OnConversationChanged']);
    expect(JSON.parse(t.store.conversations.get(ID)!.latestMsg).clientMsgID).toBe('m1');
    expect(t.store.conversations.get(ID)!.latestMsgSendTime).toBe(1001);
    t.close();
  });

  it('reports nothing when the latest message did not move', () => {
    const t = setup();
    t.change(() => t.store.messages.put(ID, t.message(2)));
    expect(t.change(() => t.store.messages.put(ID, t.message(1)))).toEqual([]);
    t.close();
  });

  it('falls back to the previous message when the latest is deleted', () => {
    const t = setup();
    t.change(() => {
      t.store.messages.put(ID, t.message(1));
      t.store.messages.put(ID, t.message(2));
    });
    expect(t.change(() => t.store.messages.tombstone(ID, t.store.messages.get('m2')!))).toEqual(['OnConversationChanged']);
    expect(JSON.parse(t.store.conversations.get(ID)!.latestMsg).clientMsgID).toBe('m1');
    t.close();
  });

  it('keeps a hidden conversation hidden and unreported, unless a message is added with reveal', () => {
    const t = setup();
    t.store.conversations.setHidden(ID, true);
    expect(t.change(() => t.store.messages.put(ID, t.message(1)))).toEqual([]);
    expect(t.store.conversations.isHidden(ID)).toBe(true);
    expect(t.change(() => t.store.messages.put(ID, t.message(2)), true)).toEqual(['OnNewConversation']);
    expect(t.store.conversations.isHidden(ID)).toBe(false);
    t.close();
  });
});
