// The events the seam suite fires at each seam, each with what it needs to exist beforehand
// (set up through REST before anyone logs in, so a first sync sees it silently) and the
// callbacks each client must hear because of it. Messages are checked against the server
// (check.ts), so their events list no message callbacks here.
//
// Actors act through REST: another user, or another device of A or B (whose changes a client
// hears exactly like its own). Only `own-message` goes through a client (tab 1 → tab 2, item 6).

import type { ClientRole, Role, World } from './world.ts';

/** A callback a client must hear once (or, with `stale`, a value it must reach and keep). */
export interface Expectation {
  readonly role: ClientRole;
  readonly event: string;
  readonly what: string;
  readonly match: (data: any) => boolean;
  /**
   * For "changed" callbacks (the same row may change for other reasons too): the callback may
   * repeat, but once one matched, none may report the old value again (`stale`).
   */
  readonly stale?: (data: any) => boolean;
  /**
   * The event removes or marks something that existed before login. During a first sync the
   * device may never have held it, and upstream leaves that undefined: its first sync after an
   * install reports nothing it loads and does not pull the notification streams, it starts them
   * at the server's max seq (openim-sdk-core v3.5.1 internal/interaction/msg_sync.go:136-167).
   * So in the first-sync seam such a callback may be missing (never doubled); the local data must
   * still agree with the server.
   */
  readonly preLogin?: true;
}

export interface SeamEvent {
  readonly name: string;
  setup?(w: World): Promise<void>;
  fire(w: World): Promise<void>;
  expect(w: World): Expectation[];
}

type Data = Record<string, any>;
const both = (e: Omit<Expectation, 'role'>): Expectation[] => [{ ...e, role: 'a' }, { ...e, role: 'b' }];
const onB = (e: Omit<Expectation, 'role'>): Expectation[] => [{ ...e, role: 'b' }];
const uid = (w: World, r: Role) => w.users[r];

// ---- shared setup (every seed): relations and groups the events act on ----

export async function setupWorld(w: World): Promise<void> {
  const u = (r: Role) => w.users[r];
  await Promise.all(Object.keys(w.users).map((r) => w.token(r as Role)));
  const importFriend = (a: Role, b: Role) => w.rest(null, '/friend/import_friend', { ownerUserID: u(a), friendUserIDs: [u(b)] });
  await importFriend('a', 'b');
  await importFriend('b', 'd');
  await importFriend('b', 'g');
  await w.rest('b', '/friend/add_black', { ownerUserID: u('b'), blackUserID: u('i') });
  for (const to of ['e', 'f'] as const) await w.rest('b', '/friend/add_friend', { fromUserID: u('b'), toUserID: u(to), reqMsg: 'hi', ex: '' });
  const group = async (g: keyof World['groups'], owner: Role, members: Role[], needVerification = 2) => {
    const r = await w.rest<{ groupInfo: { groupID: string } }>(null, '/group/create_group', {
      ownerUserID: u(owner),
      memberUserIDs: members.map(u),
      adminUserIDs: [],
      groupInfo: { groupName: `${g}-${w.seed}`, groupType: 2, needVerification },
    });
    w.groups[g] = r.groupInfo.groupID;
  };
  await group('gg', 'a', ['b', 'c', 'l']);
  await group('gh', 'b', ['a'], 1);
  await group('gm', 'c', ['b']);
  await group('gn', 'c', ['b']);
  await group('gp', 'c', [], 1);
  await group('gq', 'c', [], 1);
  for (const g of ['gp', 'gq'] as const) await w.rest('b', '/group/join_group', { groupID: w.groups[g], reqMessage: 'let me in', joinSource: 3, inviterUserID: u('b') });
  // A and B have chatted; B wrote to D (the read receipt's message); R wrote to B (the revoke's).
  const send = (from: Role, to: Role, text: string) => w.rest<{ clientMsgID: string }>(null, '/msg/send_msg', textBody(u(from), { recvID: u(to) }, text));
  await send('a', 'b', 'earlier');
  w.notes.set('receipt', await send('b', 'd', 'read me'));
  w.notes.set('revoke', await send('r', 'b', 'take me back'));
}

/** The single-chat conversation ID of two users (OpenIM: si_ + the sorted pair). */
function singleConv(x: string, y: string): string {
  return `si_${[x, y].sort().join('_')}`;
}

async function seqOf(w: World, role: Role, conversationID: string, clientMsgID: string): Promise<number> {
  const r = await w.rest<{ msgs: Record<string, { Msgs: Array<{ clientMsgID: string; seq: number }> }> }>(role, '/msg/pull_msg_by_seq', {
    userID: w.users[role],
    seqRanges: [{ conversationID, begin: 1, end: 1000, num: 1000 }],
    order: 0,
  });
  const m = r.msgs?.[conversationID]?.Msgs.find((x) => x.clientMsgID === clientMsgID);
  if (!m) throw new Error(`no ${clientMsgID} in ${conversationID}`);
  return m.seq;
}

export const EVENTS: readonly SeamEvent[] = [
  // ---- messages (their callbacks are checked against the server's history) ----
  // From A's other device: A's tab hears it as new too.
  { name: 'message', fire: async (w) => void (await w.rest(null, '/msg/send_msg', textBody(uid(w, 'a'), { recvID: uid(w, 'b') }, 'a to b'))), expect: () => [] },
  { name: 'stranger-message', fire: async (w) => void (await w.rest(null, '/msg/send_msg', textBody(uid(w, 'c'), { recvID: uid(w, 'b') }, 'first words'))), expect: () => [] },
  { name: 'group-message', fire: async (w) => void (await w.rest(null, '/msg/send_msg', textBody(uid(w, 'c'), { groupID: w.groups.gg }, 'to the group'))), expect: () => [] },
  {
    name: 'own-message',
    // From the B tab that stays attached throughout: the other B tab hears it as new, A too.
    fire: (w) => w.sendFrom(w.tab(w.notes.get('sender') as string), { recvID: uid(w, 'a') }, 'from a tab'),
    expect: () => [],
  },

  // ---- friends ----
  {
    name: 'friend-application',
    fire: async (w) => void (await w.rest('c', '/friend/add_friend', { fromUserID: uid(w, 'c'), toUserID: uid(w, 'b'), reqMsg: 'be my friend', ex: '' })),
    expect: (w) => onB({ event: 'OnFriendApplicationAdded', what: 'c applied', match: (d: Data) => d.fromUserID === uid(w, 'c') && d.toUserID === uid(w, 'b') }),
  },
  {
    name: 'friend-accepted',
    fire: async (w) => void (await w.rest('e', '/friend/add_friend_response', { fromUserID: uid(w, 'b'), toUserID: uid(w, 'e'), handleResult: 1, handleMsg: 'ok' })),
    expect: (w) => [
      ...onB({ event: 'OnFriendApplicationAccepted', what: 'e accepted', match: (d: Data) => d.fromUserID === uid(w, 'b') && d.toUserID === uid(w, 'e') }),
      ...onB({ event: 'OnFriendAdded', what: 'e added', match: (d: Data) => d.userID === uid(w, 'e') }),
    ],
  },
  {
    name: 'friend-rejected',
    fire: async (w) => void (await w.rest('f', '/friend/add_friend_response', { fromUserID: uid(w, 'b'), toUserID: uid(w, 'f'), handleResult: -1, handleMsg: 'no' })),
    expect: (w) => onB({ event: 'OnFriendApplicationRejected', what: 'f rejected', match: (d: Data) => d.fromUserID === uid(w, 'b') && d.toUserID === uid(w, 'f') }),
  },
  {
    name: 'friend-deleted',
    fire: async (w) => void (await w.rest('b', '/friend/delete_friend', { ownerUserID: uid(w, 'b'), friendUserID: uid(w, 'g') })),
    expect: (w) => onB({ event: 'OnFriendDeleted', what: 'g deleted', preLogin: true, match: (d: Data) => d.userID === uid(w, 'g') }),
  },
  {
    name: 'friend-remark',
    fire: async (w) => void (await w.rest('b', '/friend/set_friend_remark', { ownerUserID: uid(w, 'b'), friendUserID: uid(w, 'd'), remark: `remark-${w.seed}` })),
    expect: (w) => onB({ event: 'OnFriendInfoChanged', what: 'd remark', match: (d: Data) => d.userID === uid(w, 'd') && d.remark === `remark-${w.seed}`, stale: (d: Data) => d.userID === uid(w, 'd') && d.remark !== `remark-${w.seed}` }),
  },
  {
    name: 'friend-info',
    fire: async (w) => void (await w.rest('d', '/user/update_user_info_ex', { userInfo: { userID: uid(w, 'd'), nickname: `dee-${w.seed}` } })),
    expect: (w) => onB({ event: 'OnFriendInfoChanged', what: 'd nickname', match: (d: Data) => d.userID === uid(w, 'd') && d.nickname === `dee-${w.seed}`, stale: (d: Data) => d.userID === uid(w, 'd') && d.nickname !== `dee-${w.seed}` }),
  },
  {
    name: 'black-added',
    fire: async (w) => void (await w.rest('b', '/friend/add_black', { ownerUserID: uid(w, 'b'), blackUserID: uid(w, 'h') })),
    expect: (w) => onB({ event: 'OnBlackAdded', what: 'h blacked', match: (d: Data) => d.userID === uid(w, 'h') }),
  },
  {
    name: 'black-deleted',
    fire: async (w) => void (await w.rest('b', '/friend/remove_black', { ownerUserID: uid(w, 'b'), blackUserID: uid(w, 'i') })),
    expect: (w) => onB({ event: 'OnBlackDeleted', what: 'i unblacked', preLogin: true, match: (d: Data) => d.userID === uid(w, 'i') }),
  },
  {
    name: 'friend-added',
    fire: async (w) => void (await w.rest(null, '/friend/import_friend', { ownerUserID: uid(w, 'b'), friendUserIDs: [uid(w, 'j')] })),
    expect: (w) => onB({ event: 'OnFriendAdded', what: 'j imported', match: (d: Data) => d.userID === uid(w, 'j') }),
  },

  // ---- groups ----
  {
    name: 'group-created',
    fire: async (w) => {
      const r = await w.rest<{ groupInfo: { groupID: string } }>(null, '/group/create_group', { ownerUserID: uid(w, 'c'), memberUserIDs: [uid(w, 'b')], adminUserIDs: [], groupInfo: { groupName: `gk-${w.seed}`, groupType: 2 } });
      w.groups.gk = r.groupInfo.groupID;
    },
    expect: (w) => onB({ event: 'OnJoinedGroupAdded', what: 'gk created', match: (d: Data) => d.groupName === `gk-${w.seed}` }),
  },
  {
    name: 'group-info',
    fire: async (w) => void (await w.rest('a', '/group/set_group_info', { groupInfoForSet: { groupID: w.groups.gg, groupName: `renamed-${w.seed}` } })),
    expect: (w) => both({ event: 'OnGroupInfoChanged', what: 'gg renamed', match: (d: Data) => d.groupID === w.groups.gg && d.groupName === `renamed-${w.seed}`, stale: (d: Data) => d.groupID === w.groups.gg && d.groupName !== `renamed-${w.seed}` }),
  },
  {
    name: 'member-added',
    fire: async (w) => void (await w.rest('a', '/group/invite_user_to_group', { groupID: w.groups.gg, invitedUserIDs: [uid(w, 'm')], reason: '' })),
    expect: (w) => both({ event: 'OnGroupMemberAdded', what: 'm invited to gg', match: (d: Data) => d.groupID === w.groups.gg && d.userID === uid(w, 'm') }),
  },
  {
    name: 'member-deleted',
    fire: async (w) => void (await w.rest('a', '/group/kick_group', { groupID: w.groups.gg, kickedUserIDs: [uid(w, 'l')], reason: '' })),
    expect: (w) => both({ event: 'OnGroupMemberDeleted', what: 'l kicked from gg', preLogin: true, match: (d: Data) => d.groupID === w.groups.gg && d.userID === uid(w, 'l') }),
  },
  {
    name: 'member-info',
    fire: async (w) => void (await w.rest('a', '/group/set_group_member_info', { members: [{ groupID: w.groups.gg, userID: uid(w, 'b'), nickname: `bee-${w.seed}` }] })),
    expect: (w) => both({ event: 'OnGroupMemberInfoChanged', what: 'b nickname in gg', match: (d: Data) => d.groupID === w.groups.gg && d.userID === uid(w, 'b') && d.nickname === `bee-${w.seed}`, stale: (d: Data) => d.groupID === w.groups.gg && d.userID === uid(w, 'b') && d.nickname !== `bee-${w.seed}` }),
  },
  {
    name: 'joined-group-deleted',
    fire: async (w) => void (await w.rest('c', '/group/kick_group', { groupID: w.groups.gm, kickedUserIDs: [uid(w, 'b')], reason: '' })),
    expect: (w) => onB({ event: 'OnJoinedGroupDeleted', what: 'b kicked from gm', preLogin: true, match: (d: Data) => d.groupID === w.groups.gm }),
  },
  {
    name: 'group-dismissed',
    fire: async (w) => void (await w.rest('c', '/group/dismiss_group', { groupID: w.groups.gn })),
    expect: (w) => onB({ event: 'OnGroupDismissed', what: 'gn dismissed', preLogin: true, match: (d: Data) => d.groupID === w.groups.gn }),
  },
  {
    name: 'group-application',
    fire: async (w) => void (await w.rest('c', '/group/join_group', { groupID: w.groups.gh, reqMessage: 'me too', joinSource: 3, inviterUserID: uid(w, 'c') })),
    expect: (w) => onB({ event: 'OnGroupApplicationAdded', what: 'c applied to gh', match: (d: Data) => d.groupID === w.groups.gh && d.userID === uid(w, 'c') }),
  },
  {
    name: 'group-application-accepted',
    fire: async (w) => void (await w.rest('c', '/group/group_application_response', { groupID: w.groups.gp, fromUserID: uid(w, 'b'), handledMsg: 'ok', handleResult: 1 })),
    expect: (w) => [
      ...onB({ event: 'OnGroupApplicationAccepted', what: 'b accepted into gp', match: (d: Data) => d.groupID === w.groups.gp && d.userID === uid(w, 'b') }),
      ...onB({ event: 'OnJoinedGroupAdded', what: 'gp joined', match: (d: Data) => d.groupID === w.groups.gp }),
    ],
  },
  {
    name: 'group-application-rejected',
    fire: async (w) => void (await w.rest('c', '/group/group_application_response', { groupID: w.groups.gq, fromUserID: uid(w, 'b'), handledMsg: 'no', handleResult: -1 })),
    expect: (w) => onB({ event: 'OnGroupApplicationRejected', what: 'b rejected from gq', match: (d: Data) => d.groupID === w.groups.gq && d.userID === uid(w, 'b') }),
  },

  // ---- receipts, revokes, user info ----
  {
    name: 'read-receipt',
    fire: async (w) => {
      const { clientMsgID } = w.notes.get('receipt') as { clientMsgID: string };
      const conv = singleConv(uid(w, 'b'), uid(w, 'd'));
      const seq = await seqOf(w, 'd', conv, clientMsgID);
      await w.rest('d', '/msg/mark_conversation_as_read', { userID: uid(w, 'd'), conversationID: conv, hasReadSeq: seq, seqs: [seq] });
    },
    expect: (w) => {
      const { clientMsgID } = w.notes.get('receipt') as { clientMsgID: string };
      return onB({ event: 'OnRecvC2CReadReceipt', what: 'd read b\'s message', preLogin: true, match: (d: Data[]) => d.some((r) => r.userID === uid(w, 'd') && (r.msgIDList ?? []).includes(clientMsgID)) });
    },
  },
  {
    name: 'revoke',
    fire: async (w) => {
      const { clientMsgID } = w.notes.get('revoke') as { clientMsgID: string };
      const conv = singleConv(uid(w, 'b'), uid(w, 'r'));
      await w.rest('r', '/msg/revoke_msg', { userID: uid(w, 'r'), conversationID: conv, seq: await seqOf(w, 'r', conv, clientMsgID) });
    },
    expect: (w) => {
      const { clientMsgID } = w.notes.get('revoke') as { clientMsgID: string };
      return onB({ event: 'OnNewRecvMessageRevoked', what: 'r revoked', preLogin: true, match: (d: Data) => d.clientMsgID === clientMsgID });
    },
  },
  {
    name: 'self-info',
    // B's nickname changed on another device: B's tabs hear OnSelfInfoUpdated, A (a friend) OnFriendInfoChanged.
    fire: async (w) => void (await w.rest('b', '/user/update_user_info_ex', { userInfo: { userID: uid(w, 'b'), nickname: `bea-${w.seed}` } })),
    expect: (w) => [
      ...onB({ event: 'OnSelfInfoUpdated', what: 'b nickname', match: (d: Data) => d.nickname === `bea-${w.seed}`, stale: (d: Data) => d.nickname !== `bea-${w.seed}` }),
      { role: 'a', event: 'OnFriendInfoChanged', what: 'b nickname (friend)', match: (d: Data) => d.userID === uid(w, 'b') && d.nickname === `bea-${w.seed}`, stale: (d: Data) => d.userID === uid(w, 'b') && d.nickname !== `bea-${w.seed}` },
    ],
  },
];

function textBody(sendID: string, to: { recvID: string } | { groupID: string }, text: string): Record<string, unknown> {
  const group = 'groupID' in to;
  return { sendID, recvID: group ? '' : to.recvID, groupID: group ? to.groupID : '', sessionType: group ? 3 : 1, contentType: 101, content: { content: text }, senderPlatformID: 0 };
}
