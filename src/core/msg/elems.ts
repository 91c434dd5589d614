// Which MessageItem elem carries a contentType's content (MsgData.content is that elem's JSON).

import { ContentType } from '../types.ts';

const ELEM: Readonly<Record<number, string>> = {
  [ContentType.Text]: 'textElem',
  [ContentType.Picture]: 'pictureElem',
  [ContentType.Sound]: 'soundElem',
  [ContentType.Video]: 'videoElem',
  [ContentType.File]: 'fileElem',
  [ContentType.AtText]: 'atTextElem',
  [ContentType.Merger]: 'mergeElem',
  [ContentType.Card]: 'cardElem',
  [ContentType.Location]: 'locationElem',
  [ContentType.Custom]: 'customElem',
  [ContentType.Typing]: 'typingElem',
  [ContentType.Quote]: 'quoteElem',
  [ContentType.Face]: 'faceElem',
  [ContentType.AdvancedText]: 'advancedTextElem',
};

/** The elem key for a contentType; every notification (≥ 1000) uses notificationElem. */
export function elemKey(contentType: number): string | undefined {
  if (contentType >= 1000) return 'notificationElem';
  return ELEM[contentType];
}
