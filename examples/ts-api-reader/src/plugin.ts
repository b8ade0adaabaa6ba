// One page of the API per batch: cursor paging, retries with backoff (Retry-After honoured),
// OAuth2 client credentials when `token_url` is set, and the largest id seen kept in state so the
// next run asks only for newer records (`?since_id=`).
import {
  bool,
  config,
  cursorPaging,
  float64,
  IncrementalCursor,
  int64,
  ipcBatch,
  OAuth2ClientCredentials,
  type OpenParams,
  type Page,
  paginate,
  reader,
  request,
  secret,
  type Send,
  timestampUs,
  utf8,
  withRetry,
} from '@dativo/pdk';

interface Config {
  url: string;
  page_size?: number;
  token_url?: string;
  client_id?: string;
}

interface ApiRecord {
  id: number;
  name: string;
  amount: number | null;
  active: boolean | null;
  note: string | null;
  created_at: string;
}

let pages: Iterator<Page<ApiRecord>> | undefined;
let cursor: IncrementalCursor | undefined;

function transport(c: Config): Send {
  const retrying = withRetry(request, { maxRetries: 4, baseDelayMs: 200 });
  if (!c.token_url) return retrying;
  const auth = new OAuth2ClientCredentials({
    tokenUrl: c.token_url,
    clientId: c.client_id ?? '',
    clientSecret: secret('client_secret'),
    send: retrying,
  });
  return auth.wrap(retrying);
}

export const { open, nextBatch, check, discover, close } = reader({
  open(_params: OpenParams) {
    const c = config<Config>();
    cursor = new IncrementalCursor('since_id', { initial: '0' });
    const url = new URL(c.url);
    url.searchParams.set('per_page', String(c.page_size ?? 500));
    if (cursor.value !== '0') url.searchParams.set('since_id', cursor.value ?? '0');
    const paging = cursorPaging<ApiRecord>({ nextCursor: 'meta.next_cursor', items: 'data' });
    pages = paginate({ url: url.toString() }, paging, { send: transport(c) });
  },

  nextBatch() {
    const next = pages?.next();
    if (!next || next.done) return undefined;
    const rows = next.value.items;
    for (const r of rows) cursor?.observe(r.id);
    cursor?.save();
    return ipcBatch({
      id: int64(rows.map((r) => r.id)),
      name: utf8(rows.map((r) => r.name)),
      amount: float64(rows.map((r) => r.amount)),
      active: bool(rows.map((r) => r.active)),
      note: utf8(rows.map((r) => r.note)),
      created_at: timestampUs(rows.map((r) => Date.parse(r.created_at))),
    });
  },

  discover: () => ({ objects: [{ name: 'records', type: 'table' }], metadata: {} }),
});
