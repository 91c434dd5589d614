// Did an earlier attempt of this send reach the server? Asked when a message is sent again whose
// local row says "sending" or "failed": the worker died mid-send, the connection dropped before
// the answer, or the call timed out. Then the attempt's outcome is unknown, and sending blindly
// could store the message twice (OpenIM does not deduplicate by clientMsgID).
//
// The server is asked for the conversation's newest messages, newest page first, until the
// message is found, or a page reaches messages older than the message itself (minus a clock
// allowance), or LOOKBACK seqs were read. A delivered message further back than that (over
// 1,000 newer messages in its conversation between the attempt and the resend) is not found.

import type { SdkWsProto } from '@openim/protocol';
import type { CoreSession } from '../core-session.ts';
import { ingest } from '../sync/ingest.ts';
import { getConvSeqs, pullRange, RANGE_BATCH } from '../sync/pull.ts';
import type { MessageItem } from '../types.ts';

/** Seqs read at most, newest first. */
const LOOKBACK = 1_000;
/** How far the server's clock may be behind this one (a message's sendTime vs its createTime). */
const CLOCK_ALLOWANCE_MS = 60_000;
/** Waiting for the long connection before asking. */
const OPEN_WAIT_MS = 10_000;

export async function findDelivered(s: CoreSession, conversationID: string, m: MessageItem, operationID: string): Promise<MessageItem | null> {
  const conn = s.conn;
  if (!conn) return null;
  await conn.waitOpen(OPEN_WAIT_MS);
  const maxSeq = (await getConvSeqs(s, operationID)).get(conversationID)?.maxSeq ?? 0;
  const oldest = (m.createTime || m.sendTime) - CLOCK_ALLOWANCE_MS;
  let found: SdkWsProto.MsgData | undefined;
  let older = false;
  for (let hi = maxSeq; hi >= 1 && maxSeq - hi < LOOKBACK && !found && !older; hi -= RANGE_BATCH) {
    const lo = Math.max(1, hi - RANGE_BATCH + 1);
    await pullRange(s, conversationID, lo, hi, operationID, async (page) => {
      found = page.find((d) => d.clientMsgID === m.clientMsgID);
      older = page.some((d) => d.sendTime > 0 && d.sendTime < oldest);
    });
  }
  if (!found) return null;
  // Merged into the local row as the echo would have been (status sent, the server's seq).
  await ingest(s, conversationID, [found], 'history', operationID);
  return s.db().messages.get(m.clientMsgID) ?? null;
}
