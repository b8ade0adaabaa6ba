import { describe, expect, it } from 'vitest';
import {
  cursorPaging,
  linkPaging,
  offsetPaging,
  pagePaging,
  paginate,
  parseLinkHeader,
} from '../../../plugin-pdk/ts/src/paginate.js';
import { scriptedSend } from './fake-send.js';

const API = 'https://api.example.com/v1/items';

describe('paginate', () => {
  it('cursor: follows the body cursor until it is empty, sending it back as the parameter', () => {
    const { send, requests } = scriptedSend([
      { body: { data: [1, 2], meta: { next: 'c2' } } },
      { body: { data: [3], meta: { next: 'c3' } } },
      { body: { data: [], meta: { next: null } } },
    ]);
    const pages = [
      ...paginate({ url: `${API}?q=x` }, cursorPaging({ nextCursor: 'meta.next', items: 'data' }), { send }),
    ];
    expect(pages.map((p) => p.items)).toEqual([[1, 2], [3], []]);
    expect(pages.map((p) => p.pageIndex)).toEqual([0, 1, 2]);
    expect(requests.map((r) => r.url)).toEqual([
      `${API}?q=x`,
      `${API}?q=x&cursor=c2`,
      `${API}?q=x&cursor=c3`,
    ]);
  });

  it('offset: a short page is the last; offset advances by the items received', () => {
    const { send, requests } = scriptedSend([{ body: ['a', 'b'] }, { body: ['c', 'd'] }, { body: ['e'] }]);
    const items = [...paginate({ url: API }, offsetPaging({ limit: 2, items: '' }), { send })].flatMap(
      (p) => p.items,
    );
    expect(items).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(requests.map((r) => new URL(r.url).search)).toEqual([
      '?offset=0&limit=2',
      '?offset=2&limit=2',
      '?offset=4&limit=2',
    ]);
  });

  it('page numbers: an empty page is the last', () => {
    const { send, requests } = scriptedSend([
      { body: { rows: [1] } },
      { body: { rows: [2] } },
      { body: { rows: [] } },
    ]);
    const pages = [...paginate({ url: API }, pagePaging({ items: 'rows' }), { send })];
    expect(pages.flatMap((p) => p.items)).toEqual([1, 2]);
    expect(requests.map((r) => new URL(r.url).searchParams.get('page'))).toEqual(['1', '2', '3']);
  });

  it('link header: follows rel="next" (relative URLs resolved), stops without one', () => {
    const { send, requests } = scriptedSend([
      {
        headers: { link: '<https://api.example.com/v1/items?page=2>; rel="next", <…?page=9>; rel="last"' },
        body: [1],
      },
      { headers: { link: '</v1/items?page=3>; rel=next' }, body: [2] },
      { headers: { link: '<https://api.example.com/v1/items?page=1>; rel="first"' }, body: [3] },
    ]);
    const items = [
      ...paginate({ url: API, headers: { accept: 'application/json' } }, linkPaging({ items: '' }), { send }),
    ];
    expect(items.flatMap((p) => p.items)).toEqual([1, 2, 3]);
    expect(requests.map((r) => r.url)).toEqual([API, `${API}?page=2`, `${API}?page=3`]);
    expect(requests[2]?.headers).toEqual({ accept: 'application/json' });
  });

  it('maxPages stops early; a non-2xx page throws a PluginError naming URL, status and page', () => {
    const a = scriptedSend([{ body: { d: [1], n: 'x' } }, { body: { d: [2], n: 'y' } }]);
    expect([
      ...paginate({ url: API }, cursorPaging({ nextCursor: 'n', items: 'd' }), { send: a.send, maxPages: 1 }),
    ]).toHaveLength(1);
    const b = scriptedSend([{ body: { d: [1], n: 'x' } }, { status: 503, body: 'busy' }]);
    const it = paginate({ url: API }, cursorPaging({ nextCursor: 'n', items: 'd' }), { send: b.send });
    expect(it.next().value?.items).toEqual([1]);
    try {
      it.next();
      expect.unreachable();
    } catch (e) {
      expect((e as { payload: unknown }).payload).toEqual({
        code: 'HTTP_ERROR',
        message: `GET ${API}?cursor=x answered 503 (page 2)`,
        retryable: true,
      });
    }
  });

  it('items that are not a list fail naming the path', () => {
    const { send } = scriptedSend([{ body: { data: { not: 'a list' } } }]);
    expect(() => [...paginate({ url: API }, linkPaging({ items: 'data' }), { send })]).toThrow(
      'response: "data" is not a list of items',
    );
  });
});

describe('parseLinkHeader', () => {
  it('reads every relation, several names in one rel, and ignores a missing header', () => {
    expect(parseLinkHeader('<https://a/2>; rel="next prefetch", <https://a/1>; title="x"; rel=prev')).toEqual(
      {
        next: 'https://a/2',
        prefetch: 'https://a/2',
        prev: 'https://a/1',
      },
    );
    expect(parseLinkHeader(undefined)).toEqual({});
  });
});
