// Keeps the local store in step with the server (openim-server-protocol.md §4.4):
// - on every (re)connect: self profile, seqs (1006), conversation settings, then per conversation
//   the last message (first sync) or the missing range (1002 in batches of 100), and the missed
//   notifications of the `n_` streams we already follow;
// - pushes (2001) in seq order with gap fill and dedupe by clientMsgID.
// Everything runs on the session's serial chain, so a push never interleaves with a sync.

import type { SdkWsProto } from '@openim/protocol';
import { PbCoder, ReqId, type WsResponse } from '../net/codec.ts';
import { msgDataToItem } from '../msg/convert.ts';
import { SdkCode } from '../errors.ts';
import type { CoreSession } from '../core-session.ts';
import { ConvChanges } from './conv-changes.ts';
import { ensureConversation } from './conversations.ts';
import { syncConversations } from './conversation-sync.ts';
import { ingest } from './ingest.ts';
import { handleNotification, notificationDetail } from './notifications.ts';
import { settleOwed } from './owed-callbacks.ts';
import { openWindow, windowOf, type SyncWindow } from './sync-window.ts';
import { getConvSeqs, getNewestSeqs, pullRange, pullSeqsMany } from './pull.ts';

const LAST_MESSAGE_BATCH = 50;
/**
 * At most this many missed messages per conversation are pulled (and reported) at a reconnect;
 * older ones stay on the server until history paging asks for them (1005 fills the window).
 */
const DEFAULT_CATCHUP_LIMIT = 2000;
/** sync_versions row written once the first sync of a data dir has stored its messages. */
const FIRST_SYNC_DONE = 'first_sync_done';

/** This data dir's first sync (the one that loads what it finds silently) is still to come. */
export function firstSyncPending(s: CoreSession): boolean {
  return !s.db().seqs.hasVersion(FIRST_SYNC_DONE, s.userID);
}
import { refreshSelf } from './users.ts';
import { syncGroups, syncRelations } from './relations.ts';
import { onUserStatusPush, resubscribe } from './user-status.ts';

export class Syncer {
  readonly #s: CoreSession;
  #syncing = false;
  #syncQueued = false;

  readonly #catchupLimit: number;
  /**
   * Messages a first sync stored as a conversation's last message (not reported as new). One that
   * is then pushed was sent while the sync ran: the push reports it after all.
   */
  readonly #initial = new Set<string>();
  /** The same for this device's own sends (made after login): their push reports them with origin. */
  readonly #initialOwn = new Set<string>();

  constructor(s: CoreSession, catchupLimit = DEFAULT_CATCHUP_LIMIT) {
    this.#s = s;
    this.#catchupLimit = catchupLimit;
  }

  onConnected(): void {
    void resubscribe(this.#s, this.#s.opID('status')).catch((e: unknown) => this.#s.log.debug({ err: (e as Error).message }, 'core: resubscribe failed'));
    // Reconnect storms queue one sync, not one per connect.
    if (this.#syncQueued) return;
    this.#syncQueued = true;
    // Pushes that arrive from now on wait behind the sync: they belong to its window.
    const window = openWindow(this.#s);
    void this.#s
      .serial(() => {
        this.#syncQueued = false;
        return this.#fullSync(window);
      })
      .catch(() => {});
  }

  onPush(frame: WsResponse): void {
    if (frame.reqIdentifier === ReqId.SubUserOnlineStatus) {
      onUserStatusPush(this.#s, frame);
      return;
    }
    if (frame.reqIdentifier !== ReqId.PushMsg || !frame.data) return;
    let push: SdkWsProto.PushMessages;
    try {
      push = PbCoder.PushMessages.decode(frame.data);
    } catch (e) {
      this.#s.log.warn({ err: (e as Error).message }, 'core: undecodable push');
      return;
    }
    // A push that arrives while a sync runs belongs to its window (sync-window.ts).
    const w = windowOf(this.#s);
    const tag = w?.accepting ? w : undefined;
    tag?.arrived();
    void this.#s
      .serial(() => this.#handlePush(push, frame.operationID || this.#s.opID('push'), tag))
      .catch(() => {})
      .finally(() => tag?.handled());
  }

  get syncing(): boolean {
    return this.#syncing;
  }

  async #fullSync(window: SyncWindow): Promise<void> {
    const s = this.#s;
    const op = s.opID('sync');
    this.#syncing = true;
    this.#initial.clear();
    this.#initialOwn.clear();
    const t0 = Date.now();
    s.emit('OnSyncServerStart');
    try {
      await refreshSelf(s, op);
      const groups = await syncGroups(s, op);
      const seqs = await getConvSeqs(s, op);
      const changes = new ConvChanges(s);
      const store = s.db();
      // The very first sync of this data dir loads each conversation's last message silently, as
      // upstream's core does on a new install (MsgSyncer `reinstalled`); any later one (restart,
      // reconnect) reports everything it brings, new conversations too. A session that continues
      // a client which redialled (init.resumed: its node failed over to this one, where its data
      // dir is new) reports what the user has not read: that client has shown messages already,
      // and the ones it missed meanwhile are among the unread.
      const first = firstSyncPending(s);
      const unreadFrom = (sq: { maxSeq: number; hasReadSeq: number }): number =>
        first && s.init.resumed === true && sq.hasReadSeq < sq.maxSeq ? Math.max(sq.hasReadSeq + 1, sq.maxSeq - this.#catchupLimit + 1) : 0;
      const convSync = await syncConversations(s, changes, op);
      // First sync: only the last message of each conversation, many conversations per request.
      const firsts = first ? [...seqs].filter(([id, sq]) => !id.startsWith('n_') && sq.maxSeq > 0 && store.seqs.synced(id) === 0 && unreadFrom(sq) === 0) : [];
      for (let i = 0; i < firsts.length; i += LAST_MESSAGE_BATCH) {
        const want = new Map(firsts.slice(i, i + LAST_MESSAGE_BATCH).map(([id, sq]) => [id, [sq.maxSeq]] as const));
        const got = await pullSeqsMany(s, want, op);
        for (const [id, pulled] of got) {
          // Owed if a push shows it came after login: from anyone (the user's other devices too),
          // or this device's own send (stored before the sync), owed to the session's other tabs.
          const own = new Set(pulled.msgs.filter((m) => m.clientMsgID && store.messages.get(m.clientMsgID)?.seq === 0).map((m) => m.clientMsgID));
          await ingest(s, id, pulled.msgs, 'initial', op, changes);
          for (const m of pulled.msgs) if (m.clientMsgID) (own.has(m.clientMsgID) ? this.#initialOwn : this.#initial).add(m.clientMsgID);
        }
      }
      for (const [id, sq] of seqs) {
        if (id.startsWith('n_')) continue;
        const synced = store.seqs.synced(id);
        if (sq.maxSeq > synced) {
          const from = synced === 0 && first ? unreadFrom(sq) : Math.max(synced + 1, sq.maxSeq - this.#catchupLimit + 1);
          if (from === 0) {
            // Loaded silently above, or the last message was deleted on the server (nothing
            // stored): follow from here.
          } else {
            await pullRange(s, id, from, sq.maxSeq, op, async (batch) => {
              await ingest(s, id, batch, 'catchup', op, changes);
              const top = batch.at(-1)?.seq;
              if (top) store.seqs.advance(id, top);
            });
          }
          store.seqs.advance(id, sq.maxSeq);
        }
        const c = await ensureConversation(s, id, changes, op);
        const unread = Math.max(0, sq.maxSeq - sq.hasReadSeq);
        if (c.maxSeq !== Math.max(c.maxSeq, sq.maxSeq) || c.hasReadSeq !== sq.hasReadSeq || c.unreadCount !== unread) {
          c.maxSeq = Math.max(c.maxSeq, sq.maxSeq);
          c.hasReadSeq = sq.hasReadSeq;
          c.unreadCount = unread;
          store.conversations.put(c);
          changes.changed(id);
        }
      }
      await this.#catchUpNotifications(op);
      if (first) store.seqs.setVersion(FIRST_SYNC_DONE, s.userID, '', 0);
      changes.flush();
      const relations = { groups, ...(await syncRelations(s, op)) };
      s.log.info({ ms: Date.now() - t0, conversations: seqs.size, convSync, relations }, 'core: sync finished');
      s.emit('OnSyncServerFinish');
    } catch (e) {
      s.log.warn({ ms: Date.now() - t0, err: (e as Error).message }, 'core: sync failed');
      const code = typeof (e as { code?: unknown }).code === 'number' ? (e as { code: number }).code : SdkCode.Unknown;
      s.emit('OnSyncServerFailed', undefined, code, (e as Error).message);
      throw e;
    } finally {
      this.#syncing = false;
      window.syncEnded();
    }
  }

  /**
   * Notifications missed while offline (revokes, read receipts, deletes). A stream is followed
   * from the first sync that sees it: a stream that already has notifications then is followed
   * from its current end (the messages and seqs just pulled already reflect them); the `n_`
   * twin of every local conversation without notifications yet is followed from its start.
   */
  async #catchUpNotifications(op: string): Promise<void> {
    const s = this.#s;
    const store = s.db();
    const newest = await getNewestSeqs(s, op);
    for (const [id, max] of newest) {
      if (!id.startsWith('n_')) continue;
      if (!store.seqs.has(id)) {
        store.seqs.follow(id, max);
        windowOf(s)?.followedAtEnd(id, max);
        continue;
      }
      const synced = store.seqs.synced(id);
      if (max <= synced) continue;
      await pullRange(s, id, synced + 1, max, op, async (batch) => {
        for (const m of batch) {
          await handleNotification(s, m, op);
          store.seqs.advance(id, m.seq);
        }
      });
      store.seqs.advance(id, max);
    }
    for (const c of store.conversations.all()) store.seqs.follow('n_' + c.conversationID.slice(3), 0);
  }

  async #handlePush(push: SdkWsProto.PushMessages, op: string, window: SyncWindow | undefined): Promise<void> {
    for (const [id, pull] of Object.entries(push.msgs ?? {})) await this.#pushConversation(id, pull?.Msgs ?? [], op);
    for (const [id, pull] of Object.entries(push.notificationMsgs ?? {})) await this.#pushNotifications(id, pull?.Msgs ?? [], op, window);
  }

  async #pushConversation(id: string, msgs: SdkWsProto.MsgData[], op: string): Promise<void> {
    const s = this.#s;
    const store = s.db();
    for (const m of [...msgs].sort((a, b) => a.seq - b.seq)) {
      if (m.seq === 0) {
        // Online-only (typing and the like): delivered, never stored.
        if (m.sendID !== s.userID) s.emit('OnRecvNewMessages', [msgDataToItem(m, s.userID)]);
        continue;
      }
      const synced = store.seqs.synced(id);
      if (synced > 0 && m.seq > synced + 1) {
        await pullRange(s, id, Math.max(synced + 1, m.seq - this.#catchupLimit), m.seq - 1, op, async (batch) => {
          await ingest(s, id, batch, 'catchup', op);
          const top = batch.at(-1)?.seq;
          if (top) store.seqs.advance(id, top);
        });
      }
      const { fresh } = await ingest(s, id, [m], 'push', op);
      const own = this.#initialOwn.delete(m.clientMsgID);
      if (!fresh.length && (this.#initial.delete(m.clientMsgID) || own)) {
        const stored = store.messages.get(m.clientMsgID);
        if (stored && stored.status < 4) {
          if (own) s.emit('OnRecvNewMessages', [stored], 0, '', stored.clientMsgID);
          else s.emit('OnRecvNewMessages', [stored]);
        }
      }
      store.seqs.advance(id, m.seq);
    }
  }

  /** `window`: the sync this push arrived during; what it loaded silently may owe callbacks. */
  async #pushNotifications(id: string, msgs: SdkWsProto.MsgData[], op: string, window: SyncWindow | undefined): Promise<void> {
    const s = this.#s;
    const store = s.db();
    for (const m of [...msgs].sort((a, b) => a.seq - b.seq)) {
      if (m.seq > 0) {
        const synced = store.seqs.synced(id);
        if (m.seq <= synced && !window?.takeSkipped(id, m.seq)) continue;
        if (store.seqs.has(id) && m.seq > synced + 1) {
          await pullRange(s, id, synced + 1, m.seq - 1, op, async (batch) => {
            for (const g of batch) {
              await handleNotification(s, g, op);
              store.seqs.advance(id, g.seq);
            }
          });
        }
      }
      await handleNotification(s, m, op);
      if (window) settleOwed(s, window, m, notificationDetail(m));
      if (m.seq > 0) store.seqs.advance(id, m.seq);
    }
  }
}
