// Which tab of a session sent which message.
//
// The tabs of a session share one core, so to the IM server they are one device. A message sent
// from tab 1 comes back to the core as the server's echo; the core reports that echo as a new
// message with `origin` = its clientMsgID (src/core/sync/ingest.ts). The session delivers it to
// every tab but the one that sent it: tab 2 sees it the way another device of the same user
// would (OnRecvNewMessages, sendID = self), and tab 1, which has the message from its send's
// answer, does not get its own message back as new.
//
// Tabs are named by a key (session.ts: the client's resumeKey, else its id), so a sender whose
// socket dropped and came back is still the sender. Kept per session, not per worker: an echo
// that a restarted core's catch-up brings still skips the sender. Bounded: the oldest entries go
// first (an echo whose entry is gone reaches every tab).

/** The core functions that send a message; their first argument is the message object. */
const SEND_FUNCTIONS = new Set(['SendMessageNotOss', 'SendMessage']);

export class OwnSends {
  readonly #max: number;
  readonly #sender = new Map<string, string>();

  constructor(max = 1024) {
    this.#max = max;
  }

  /** Remember the tab behind a send call (online-only sends are never echoed as stored messages). */
  note(tab: string, fn: string, args: readonly unknown[]): void {
    if (!SEND_FUNCTIONS.has(fn) || args[4] === true) return;
    const m = args[0] as { clientMsgID?: unknown } | null | undefined;
    const id = m && typeof m === 'object' ? m.clientMsgID : undefined;
    if (typeof id !== 'string' || id === '') return;
    this.#sender.delete(id);
    this.#sender.set(id, tab);
    if (this.#sender.size > this.#max) this.#sender.delete(this.#sender.keys().next().value!);
  }

  /** The tab that sent `clientMsgID`, once: the echo comes back once. */
  take(clientMsgID: string): string | undefined {
    const tab = this.#sender.get(clientMsgID);
    this.#sender.delete(clientMsgID);
    return tab;
  }
}
