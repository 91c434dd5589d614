// MsgData.options (open-im-server pkg/msgprocessor/options.go): a missing key means true.

export type MsgOptions = Record<string, boolean>;

export const OPT_HISTORY = 'history';
export const OPT_PERSISTENT = 'persistent';
export const OPT_OFFLINE_PUSH = 'offlinePush';
export const OPT_UNREAD_COUNT = 'unreadCount';
export const OPT_CONVERSATION_UPDATE = 'conversationUpdate';
export const OPT_SENDER_SYNC = 'senderSync';
const OPT_NOT_PRIVATE = 'notPrivate';
const OPT_SENDER_CONVERSATION_UPDATE = 'senderConversationUpdate';
const OPT_SENDER_NOTIFICATION_PUSH = 'senderNotificationPush';
const OPT_REACTION_FROM_CACHE = 'reactionFromCache';
export const OPT_IS_NOT_NOTIFICATION = 'isNotNotification';
export const OPT_IS_SEND_MSG = 'isSendMsg';

export function optionIs(options: MsgOptions | undefined, key: string): boolean {
  const v = options?.[key];
  return v === undefined || v;
}

/** Server notifications start with every option false except senderSync (NewOptions). */
export function notificationOptions(stored: boolean): MsgOptions {
  return {
    [OPT_HISTORY]: stored,
    [OPT_PERSISTENT]: stored,
    [OPT_OFFLINE_PUSH]: false,
    [OPT_UNREAD_COUNT]: false,
    [OPT_CONVERSATION_UPDATE]: false,
    [OPT_SENDER_SYNC]: true,
    [OPT_NOT_PRIVATE]: false,
    [OPT_SENDER_CONVERSATION_UPDATE]: false,
    [OPT_SENDER_NOTIFICATION_PUSH]: false,
    [OPT_REACTION_FROM_CACHE]: false,
    [OPT_IS_NOT_NOTIFICATION]: false,
    [OPT_IS_SEND_MSG]: false,
  };
}

/** Options for an online-only message (not stored, no seq). */
export function onlineOnlyOptions(options: MsgOptions): MsgOptions {
  return {
    ...options,
    [OPT_HISTORY]: false,
    [OPT_PERSISTENT]: false,
    [OPT_SENDER_SYNC]: false,
    [OPT_CONVERSATION_UPDATE]: false,
    [OPT_SENDER_CONVERSATION_UPDATE]: false,
    [OPT_UNREAD_COUNT]: false,
    [OPT_OFFLINE_PUSH]: false,
  };
}
