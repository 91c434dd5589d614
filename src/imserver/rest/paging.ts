// sdkws.RequestPagination {pageNumber (1-based), showNumber}. Upstream pages with it when set and
// returns everything when it is absent or zero, so a missing pagination means "all".

import { int, obj, type Body } from './body.ts';
import { imArgsError } from '../errs.ts';

export interface Page {
  offset: number;
  limit: number;
}

const ALL = -1;

export function pageOf(b: Body): Page {
  const p = obj(b, 'pagination');
  const page = p ? int(p, 'pageNumber') : 0;
  const show = p ? int(p, 'showNumber') : 0;
  if (page < 0 || show < 0) throw imArgsError('pagination is invalid');
  if (page === 0 || show === 0) return { offset: 0, limit: ALL };
  return { offset: (page - 1) * show, limit: show };
}
