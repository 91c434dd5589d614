// The demo chat: a small app on the unmodified open-im-sdk@3.5.2, the way a web developer would
// write one against sdkgate. Served at /demo/ (src/demo/routes.ts), bundled by esbuild.
//
// Login: POST /demo/api/login gives {userID, token, apiAddr}; they are kept in sessionStorage,
// so a reload logs the same tab in again (attaching to the running session) while another
// window can be another user. Everything rendered from the server goes through textContent.

import { CbEvents, OpenIMSDK, type ConversationItem, type MessageItem, type ReceiptInfo, type WsResponse } from 'open-im-sdk';

interface Stored {
  userID: string;
  token: string;
  apiAddr: string;
  platformID: number;
  peers: string[];
}

const STORE_KEY = 'sdkgate-demo';
const SINGLE_CHAT = 1;
const GROUP_CHAT = 3;
const TEXT = 101;
const PICTURE = 102;
/** Gateway codes after which only a new login helps (README error table), and OpenIM token errors. */
const LOG_IN_AGAIN = new Set([20031, 20032, 1501, 1502, 1503, 1504, 1505, 1506, 1507]);

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

let sdk: OpenIMSDK | null = null;
let me: Stored | null = null;
const conversations = new Map<string, ConversationItem>();
let current: { conversationID: string; peer: string } | null = null;
let messages: MessageItem[] = [];

function setState(state: 'login' | 'connecting' | 'ready'): void {
  document.body.dataset.state = state;
  $('login').hidden = state !== 'login';
  $('app').hidden = state === 'login';
  $('logout').hidden = state === 'login';
}

function status(text: string): void {
  $('status').textContent = text;
}

function errText(e: unknown): string {
  const r = e as Partial<WsResponse>;
  if (typeof r?.errCode === 'number') return `${r.errCode} ${r.errMsg ?? ''}`.trim();
  return e instanceof Error ? e.message : String(e);
}

function conversationIdOf(m: MessageItem): string {
  if (m.sessionType === GROUP_CHAT) return `sg_${m.groupID}`;
  return `si_${[m.sendID, m.recvID].sort().join('_')}`;
}

function summary(m: Partial<MessageItem> | null): string {
  if (!m) return '';
  if (m.contentType === TEXT) return m.textElem?.content ?? '';
  if (m.contentType === PICTURE) return '[image]';
  return `[message ${m.contentType ?? '?'}]`;
}

// ---- login ----

async function demoLogin(userID: string, nickname: string): Promise<Stored> {
  const res = await fetch('api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userID, nickname }) });
  const body = (await res.json()) as Stored & { errMsg?: string };
  if (!res.ok) throw new Error(body.errMsg ?? `HTTP ${res.status}`);
  return body;
}

async function connect(s: Stored): Promise<void> {
  me = s;
  setState('connecting');
  $('me').textContent = s.userID;
  status('connecting…');
  const client = new OpenIMSDK();
  sdk = client;
  listen(client);
  const wsAddr = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
  try {
    await client.login({ userID: s.userID, token: s.token, platformID: s.platformID, apiAddr: s.apiAddr, wsAddr });
  } catch (e) {
    // sdkgate answers a refused login in band, so errCode/errMsg say why (README "Refusals").
    const code = (e as Partial<WsResponse>).errCode ?? 0;
    sdk = null;
    if (LOG_IN_AGAIN.has(code)) sessionStorage.removeItem(STORE_KEY);
    showLogin(`Login refused: ${errText(e)}`);
    return;
  }
  sessionStorage.setItem(STORE_KEY, JSON.stringify(s));
  setState('ready');
  status('online');
  renderPeers();
  await Promise.all([loadConversations(), loadUnread()]);
}

function showLogin(error = ''): void {
  setState('login');
  status('logged out');
  $('me').textContent = '';
  $('total-unread').hidden = true;
  $('login-error').textContent = error;
  current = null;
  messages = [];
  conversations.clear();
  renderConversations();
  renderMessages();
}

async function logout(): Promise<void> {
  const client = sdk;
  sdk = null;
  sessionStorage.removeItem(STORE_KEY);
  if (client) await client.logout().catch(() => undefined);
  showLogin();
}

// ---- callbacks ----

function listen(client: OpenIMSDK): void {
  const mine = (fn: (r: WsResponse) => void) => (r: WsResponse) => {
    if (sdk === client) fn(r);
  };
  client.on(CbEvents.OnConnecting, mine(() => status('reconnecting…')));
  client.on(CbEvents.OnConnectSuccess, mine(() => status('online')));
  client.on(CbEvents.OnConnectFailed, mine((r) => status(`connection failed: ${errText(r)}`)));
  client.on(CbEvents.OnKickedOffline, mine(() => {
    sessionStorage.removeItem(STORE_KEY);
    sdk = null;
    showLogin('Logged out: this user logged in elsewhere.');
  }));
  client.on(CbEvents.OnUserTokenExpired, mine(() => {
    sessionStorage.removeItem(STORE_KEY);
    sdk = null;
    showLogin('The token expired: log in again.');
  }));
  client.on(CbEvents.OnTotalUnreadMessageCountChanged, mine((r) => renderUnread(r.data as number)));
  const upsert = mine((r) => {
    for (const c of r.data as ConversationItem[]) conversations.set(c.conversationID, c);
    renderConversations();
    // A message into the open chat counts as unread until marked: mark it while the page is seen.
    if (document.visibilityState === 'visible') void markRead();
  });
  client.on(CbEvents.OnConversationChanged, upsert);
  client.on(CbEvents.OnNewConversation, upsert);
  client.on(CbEvents.OnRecvNewMessages, mine((r) => {
    const fresh = (r.data as MessageItem[]).filter((m) => current && conversationIdOf(m) === current.conversationID);
    if (fresh.length === 0) return;
    for (const m of fresh) if (!messages.some((x) => x.clientMsgID === m.clientMsgID)) messages.push(m);
    renderMessages();
  }));
  client.on(CbEvents.OnRecvC2CReadReceipt, mine((r) => {
    const read = new Set((r.data as ReceiptInfo[]).flatMap((x) => x.msgIDList));
    let changed = false;
    for (const m of messages) {
      if (read.has(m.clientMsgID) && !m.isRead) {
        m.isRead = true;
        changed = true;
      }
    }
    if (changed) renderMessages();
  }));
}

// ---- data ----

async function loadConversations(): Promise<void> {
  if (!sdk) return;
  const r = await sdk.getAllConversationList();
  conversations.clear();
  for (const c of r.data) conversations.set(c.conversationID, c);
  renderConversations();
}

async function loadUnread(): Promise<void> {
  if (!sdk) return;
  renderUnread((await sdk.getTotalUnreadMsgCount()).data);
}

async function open(peer: string): Promise<void> {
  if (!sdk) return;
  $('chat-error').textContent = '';
  try {
    const conv = (await sdk.getOneConversation({ sourceID: peer, sessionType: SINGLE_CHAT })).data;
    current = { conversationID: conv.conversationID, peer };
    conversations.set(conv.conversationID, { ...conversations.get(conv.conversationID), ...conv });
    $('chat-title').textContent = conv.showName || peer;
    $('composer').hidden = false;
    const history = await sdk.getAdvancedHistoryMessageList({ conversationID: conv.conversationID, lastMinSeq: 0, count: 50, startClientMsgID: '' });
    messages = [...history.data.messageList].sort((a, b) => a.sendTime - b.sendTime);
    renderConversations();
    renderMessages();
    await markRead();
    $('composer-text').focus();
  } catch (e) {
    $('chat-error').textContent = `Cannot open the chat: ${errText(e)}`;
  }
}

async function markRead(): Promise<void> {
  if (!sdk || !current) return;
  const c = conversations.get(current.conversationID);
  if (c && c.unreadCount === 0) return;
  await sdk.markConversationMessageAsRead(current.conversationID).catch(() => undefined);
}

async function send(make: (client: OpenIMSDK) => Promise<WsResponse<MessageItem>>): Promise<void> {
  if (!sdk || !current) return;
  const client = sdk;
  const to = current;
  $('chat-error').textContent = '';
  try {
    const message = (await make(client)).data;
    const sent = (await client.sendMessage({ recvID: to.peer, groupID: '', message })).data;
    if (current?.conversationID === to.conversationID && !messages.some((m) => m.clientMsgID === sent.clientMsgID)) {
      messages.push(sent);
      renderMessages();
    }
  } catch (e) {
    $('chat-error').textContent = `Not sent: ${errText(e)}`;
  }
}

async function sendImage(file: File): Promise<void> {
  let width = 0;
  let height = 0;
  try {
    const bmp = await createImageBitmap(file);
    ({ width, height } = bmp);
    bmp.close();
  } catch {
    $('chat-error').textContent = 'Not an image this browser can read.';
    return;
  }
  const pic = { uuid: crypto.randomUUID(), type: file.type, size: file.size, width, height, url: '' };
  // The client uploads the file itself (apiAddr /object/*), then sends the message by URL.
  await send((client) => client.createImageMessageByFile({ sourcePicture: { ...pic }, bigPicture: { ...pic }, snapshotPicture: { ...pic }, sourcePath: file.name, file }));
}

// ---- rendering ----

function renderUnread(n: number): void {
  const el = $('total-unread');
  el.hidden = !n;
  el.textContent = String(n);
  el.title = `${n} unread`;
}

function renderPeers(): void {
  const box = $('peers');
  box.replaceChildren(...(me?.peers ?? []).slice(0, 12).map((p) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = p;
    b.dataset.peer = p;
    b.addEventListener('click', () => void open(p));
    return b;
  }));
}

function renderConversations(): void {
  const list = [...conversations.values()]
    .filter((c) => c.conversationType === SINGLE_CHAT && (c.latestMsgSendTime > 0 || c.conversationID === current?.conversationID))
    .sort((a, b) => b.latestMsgSendTime - a.latestMsgSendTime);
  $('conversations').replaceChildren(...list.map((c) => {
    const li = document.createElement('li');
    li.dataset.conversation = c.conversationID;
    li.dataset.peer = c.userID;
    li.classList.toggle('active', c.conversationID === current?.conversationID);
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = c.showName || c.userID;
    const last = document.createElement('span');
    last.className = 'last';
    let latest: MessageItem | null = null;
    try {
      latest = c.latestMsg ? (JSON.parse(c.latestMsg) as MessageItem) : null;
    } catch {
      latest = null;
    }
    last.textContent = summary(latest);
    li.append(name, last);
    if (c.unreadCount > 0) {
      const badge = document.createElement('span');
      badge.className = 'badge unread';
      badge.textContent = String(c.unreadCount);
      li.append(badge);
    }
    li.addEventListener('click', () => void open(c.userID));
    return li;
  }));
}

function renderMessages(): void {
  const ol = $('messages');
  ol.replaceChildren(...messages.map((m) => {
    const li = document.createElement('li');
    const mine = m.sendID === me?.userID;
    li.className = mine ? 'mine' : 'theirs';
    li.dataset.clientMsgId = m.clientMsgID;
    if (m.contentType === PICTURE && m.pictureElem?.sourcePicture?.url) {
      const img = document.createElement('img');
      img.alt = 'image';
      img.src = m.pictureElem.sourcePicture.url;
      li.append(img);
    } else {
      const text = document.createElement('div');
      text.className = 'text';
      text.textContent = summary(m);
      li.append(text);
    }
    const meta = document.createElement('div');
    meta.className = 'meta';
    const time = new Date(m.sendTime || m.createTime).toLocaleTimeString();
    meta.textContent = mine ? `${time} · ${m.isRead ? 'read' : 'sent'}` : time;
    li.append(meta);
    return li;
  }));
  ol.scrollTop = ol.scrollHeight;
}

// ---- wiring ----

function start(): void {
  $<HTMLFormElement>('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const userID = $<HTMLInputElement>('login-user').value.trim();
    const nickname = $<HTMLInputElement>('login-nickname').value.trim();
    $('login-error').textContent = '';
    demoLogin(userID, nickname).then(connect, (e: unknown) => ($('login-error').textContent = errText(e)));
  });
  $<HTMLFormElement>('new-chat').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const peer = $<HTMLInputElement>('new-chat-user').value.trim();
    if (peer) void open(peer);
  });
  $<HTMLFormElement>('composer').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = $<HTMLInputElement>('composer-text');
    const text = input.value;
    if (!text.trim()) return;
    input.value = '';
    void send((client) => client.createTextMessage(text));
  });
  $<HTMLInputElement>('composer-image').addEventListener('change', (ev) => {
    const input = ev.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (file) void sendImage(file);
  });
  $('logout').addEventListener('click', () => void logout());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void markRead();
  });

  const saved = sessionStorage.getItem(STORE_KEY);
  if (saved) void connect(JSON.parse(saved) as Stored);
  else showLogin();
}

start();
