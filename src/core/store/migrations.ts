// Versioned schema steps, applied in order. PRAGMA user_version holds the number of steps
// applied. Never edit a released step: append a new one.

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'users, conversations, messages, seqs, versions',
    sql: `
      CREATE TABLE self_user (
        userID TEXT PRIMARY KEY,
        nickname TEXT NOT NULL DEFAULT '',
        faceURL TEXT NOT NULL DEFAULT '',
        ex TEXT NOT NULL DEFAULT '',
        attachedInfo TEXT NOT NULL DEFAULT '',
        createTime INTEGER NOT NULL DEFAULT 0,
        globalRecvMsgOpt INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE users (
        userID TEXT PRIMARY KEY,
        nickname TEXT NOT NULL DEFAULT '',
        faceURL TEXT NOT NULL DEFAULT '',
        ex TEXT NOT NULL DEFAULT '',
        createTime INTEGER NOT NULL DEFAULT 0,
        cachedAt INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE conversations (
        conversationID TEXT PRIMARY KEY,
        conversationType INTEGER NOT NULL,
        userID TEXT NOT NULL DEFAULT '',
        groupID TEXT NOT NULL DEFAULT '',
        showName TEXT NOT NULL DEFAULT '',
        faceURL TEXT NOT NULL DEFAULT '',
        recvMsgOpt INTEGER NOT NULL DEFAULT 0,
        unreadCount INTEGER NOT NULL DEFAULT 0,
        groupAtType INTEGER NOT NULL DEFAULT 0,
        latestMsg TEXT NOT NULL DEFAULT '',
        latestMsgSendTime INTEGER NOT NULL DEFAULT 0,
        draftText TEXT NOT NULL DEFAULT '',
        draftTextTime INTEGER NOT NULL DEFAULT 0,
        isPinned INTEGER NOT NULL DEFAULT 0,
        isPrivateChat INTEGER NOT NULL DEFAULT 0,
        burnDuration INTEGER NOT NULL DEFAULT 0,
        isNotInGroup INTEGER NOT NULL DEFAULT 0,
        updateUnreadCountTime INTEGER NOT NULL DEFAULT 0,
        attachedInfo TEXT NOT NULL DEFAULT '',
        ex TEXT NOT NULL DEFAULT '',
        maxSeq INTEGER NOT NULL DEFAULT 0,
        minSeq INTEGER NOT NULL DEFAULT 0,
        hasReadSeq INTEGER NOT NULL DEFAULT 0,
        msgDestructTime INTEGER NOT NULL DEFAULT 0,
        isMsgDestruct INTEGER NOT NULL DEFAULT 0,
        isHidden INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX conversations_latest ON conversations(isHidden, isPinned, latestMsgSendTime);
      CREATE TABLE messages (
        clientMsgID TEXT PRIMARY KEY,
        conversationID TEXT NOT NULL,
        seq INTEGER NOT NULL DEFAULT 0,
        sendTime INTEGER NOT NULL DEFAULT 0,
        status INTEGER NOT NULL DEFAULT 1,
        contentType INTEGER NOT NULL DEFAULT 0,
        sendID TEXT NOT NULL DEFAULT '',
        searchText TEXT NOT NULL DEFAULT '',
        item TEXT NOT NULL
      );
      CREATE INDEX messages_conv_seq ON messages(conversationID, seq);
      CREATE INDEX messages_conv_time ON messages(conversationID, sendTime);
      CREATE INDEX messages_time ON messages(sendTime);
      CREATE TABLE synced_seqs (
        conversationID TEXT PRIMARY KEY,
        syncedSeq INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE sync_versions (
        tableName TEXT NOT NULL,
        entityID TEXT NOT NULL,
        versionID TEXT NOT NULL DEFAULT '',
        version INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (tableName, entityID)
      );
    `,
  },
  {
    version: 2,
    name: 'history order index',
    // Pages are ordered by (sendTime, seq, clientMsgID): one index serves the order with no sort.
    sql: `
      DROP INDEX messages_conv_time;
      CREATE INDEX messages_conv_order ON messages(conversationID, sendTime, seq, clientMsgID);
    `,
  },
  {
    version: 3,
    name: 'index of unfinished sends',
    // Opening a session looks for sends a dead worker left "sending"; keep that off a table scan.
    sql: 'CREATE INDEX messages_sending ON messages(status) WHERE status = 1;',
  },
  {
    version: 4,
    name: 'friends, blacklist, friend requests, groups, group members, group requests',
    // Each row keeps the client's JSON item plus the columns the queries filter or order by.
    sql: `
      CREATE TABLE friends (
        userID TEXT PRIMARY KEY,
        nickname TEXT NOT NULL DEFAULT '',
        remark TEXT NOT NULL DEFAULT '',
        item TEXT NOT NULL
      );
      CREATE TABLE blacks (
        userID TEXT PRIMARY KEY,
        item TEXT NOT NULL
      );
      CREATE TABLE friend_requests (
        fromUserID TEXT NOT NULL,
        toUserID TEXT NOT NULL,
        createTime INTEGER NOT NULL DEFAULT 0,
        item TEXT NOT NULL,
        PRIMARY KEY (fromUserID, toUserID)
      );
      CREATE TABLE joined_groups (
        groupID TEXT PRIMARY KEY,
        groupName TEXT NOT NULL DEFAULT '',
        item TEXT NOT NULL
      );
      CREATE TABLE group_members (
        groupID TEXT NOT NULL,
        userID TEXT NOT NULL,
        roleLevel INTEGER NOT NULL DEFAULT 0,
        joinTime INTEGER NOT NULL DEFAULT 0,
        nickname TEXT NOT NULL DEFAULT '',
        item TEXT NOT NULL,
        PRIMARY KEY (groupID, userID)
      );
      CREATE INDEX group_members_join ON group_members(groupID, joinTime);
      CREATE TABLE group_requests (
        groupID TEXT NOT NULL,
        userID TEXT NOT NULL,
        reqTime INTEGER NOT NULL DEFAULT 0,
        item TEXT NOT NULL,
        PRIMARY KEY (groupID, userID)
      );
    `,
  },
  {
    version: 5,
    name: 'received messages at or below the read seq are flagged read',
    // Mark-as-read now reports the peer's messages this device has not flagged read (a reply
    // raises the read seq past them). Before, a received message was read when the read seq
    // covered it and never flagged: flag those once, so old history is not reported again.
    sql: `
      UPDATE messages SET item = json_set(item, '$.isRead', json('true'))
      WHERE seq > 0 AND status < 4 AND json_extract(item, '$.isRead') = 0
        AND EXISTS (SELECT 1 FROM conversations c WHERE c.conversationID = messages.conversationID
          AND c.conversationType = 1 AND c.userID = messages.sendID AND messages.seq <= c.hasReadSeq);
    `,
  },
];
