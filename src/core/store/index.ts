// The session's local store: one SQLite file in the session's data dir, opened once.

import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from './db.ts';
import { ConversationStore } from './conversations.ts';
import { FriendStore } from './friends.ts';
import { GroupStore } from './groups.ts';
import { MessageStore } from './messages.ts';
import { SeqStore } from './seqs.ts';
import { UserStore } from './users.ts';

export class Store {
  readonly db: DatabaseSync;
  readonly messages: MessageStore;
  readonly conversations: ConversationStore;
  readonly users: UserStore;
  readonly seqs: SeqStore;
  readonly friends: FriendStore;
  readonly groups: GroupStore;
  #closed = false;

  constructor(dataDir: string) {
    this.db = openDatabase(dataDir);
    this.messages = new MessageStore(this.db);
    this.conversations = new ConversationStore(this.db);
    this.users = new UserStore(this.db);
    this.seqs = new SeqStore(this.db);
    this.friends = new FriendStore(this.db);
    this.groups = new GroupStore(this.db);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs `fn` in one transaction (nested calls join the outer one). */
  tx<T>(fn: () => T): T {
    if (this.db.isTransaction) return fn();
    this.db.exec('BEGIN');
    try {
      const r = fn();
      this.db.exec('COMMIT');
      return r;
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
  }

  /** Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {
      // a checkpoint is an optimisation; closing still flushes the WAL safely
    }
    this.db.close();
  }
}
