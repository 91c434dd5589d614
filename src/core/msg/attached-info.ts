// A message's attachedInfoElem (openim-sdk-core v3.5.1 sdk_struct.AttachedInfoElem; open-im-sdk
// entity.ts): the private-chat flag and burn duration a message was sent with, and, on a group
// message its sender keeps, who has read it. MsgData.attachedInfo carries it as JSON; the
// MessageItem carries both the JSON (`attachedInfo`) and the object (`attachedInfoElem`).

import type { MessageItem } from '../types.ts';

interface GroupHasReadInfo {
  hasReadUserIDList: string[];
  hasReadCount: number;
  /** Members besides the sender who have not read it yet (open-im-sdk's type has it; upstream v3.5 does not). */
  unreadCount: number;
  groupMemberCount: number;
}

export interface AttachedInfoElem {
  groupHasReadInfo: GroupHasReadInfo;
  isPrivateChat: boolean;
  burnDuration: number;
  hasReadTime: number;
  isEncryption: boolean;
  inEncryptStatus: boolean;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The elem in `json` (a sender's JSON, possibly empty or foreign), with every field present. */
export function parseAttachedInfo(json: string): AttachedInfoElem {
  let o: Record<string, unknown> = {};
  try {
    const v = json ? (JSON.parse(json) as unknown) : {};
    if (v && typeof v === 'object' && !Array.isArray(v)) o = v as Record<string, unknown>;
  } catch {
    // A foreign client's junk is treated as no info.
  }
  const g = (o.groupHasReadInfo && typeof o.groupHasReadInfo === 'object' ? o.groupHasReadInfo : {}) as Record<string, unknown>;
  const list = Array.isArray(g.hasReadUserIDList) ? g.hasReadUserIDList.filter((x): x is string => typeof x === 'string') : [];
  return {
    groupHasReadInfo: { hasReadUserIDList: list, hasReadCount: num(g.hasReadCount), unreadCount: num(g.unreadCount), groupMemberCount: num(g.groupMemberCount) },
    isPrivateChat: o.isPrivateChat === true,
    burnDuration: num(o.burnDuration),
    hasReadTime: num(o.hasReadTime),
    isEncryption: o.isEncryption === true,
    inEncryptStatus: o.inEncryptStatus === true,
  };
}

/** The elem a message carries now (parsed from its JSON when it has no object yet). */
export function attachedInfoOf(m: MessageItem): AttachedInfoElem {
  return parseAttachedInfo(m.attachedInfoElem ? JSON.stringify(m.attachedInfoElem) : m.attachedInfo);
}

/** `m` with the elem set, as object and as JSON. */
export function withAttachedInfo<T extends MessageItem>(m: T, elem: AttachedInfoElem): T {
  return { ...m, attachedInfo: JSON.stringify(elem), attachedInfoElem: elem };
}

/**
 * Count `reader` as having read `m`; false when it was already counted. The unread count is
 * what is left of the members the message was sent to, the sender not included.
 */
export function addGroupReader(elem: AttachedInfoElem, reader: string, memberCount: number, readTime: number): boolean {
  const info = elem.groupHasReadInfo;
  if (info.hasReadUserIDList.includes(reader)) return false;
  info.hasReadUserIDList.push(reader);
  info.hasReadCount = info.hasReadUserIDList.length;
  info.groupMemberCount ||= memberCount;
  info.unreadCount = Math.max(0, info.groupMemberCount - 1 - info.hasReadCount);
  elem.hasReadTime = readTime;
  return true;
}
