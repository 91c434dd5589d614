// The text a local search matches against, per content type.

import type { MessageItem } from '../types.ts';
import { ContentType } from '../types.ts';
import { asObject, asString as str } from '../loose.ts';

export function searchTextOf(m: MessageItem): string {
  const e = (key: string) => asObject(m[key]);
  switch (m.contentType) {
    case ContentType.Text:
      return str(e('textElem').content);
    case ContentType.AtText:
      return str(e('atTextElem').text);
    case ContentType.Quote:
      return str(e('quoteElem').text);
    case ContentType.AdvancedText:
      return str(e('advancedTextElem').text);
    case ContentType.Custom: {
      const c = e('customElem');
      return [str(c.data), str(c.description), str(c.extension)].join('\n');
    }
    case ContentType.File:
      return str(e('fileElem').fileName);
    case ContentType.Location:
      return str(e('locationElem').description);
    case ContentType.Merger:
      return str(e('mergeElem').title);
    case ContentType.Card:
      return str(e('cardElem').nickname);
    default:
      return '';
  }
}
