import { describe, expect, it } from 'vitest';
import { DativoError } from '../../../host/errors.js';
import { kvLayout } from '../../../host/sources/markdown-kv/layout.js';
import { parseMarkdownKv } from '../../../host/sources/markdown-kv/parse.js';
import { docIdOf, renderRecord } from '../../../host/sources/markdown-kv/storage.js';

function failure(text: string): DativoError {
  try {
    parseMarkdownKv(text, 'doc.md');
  } catch (e) {
    if (e instanceof DativoError) return e;
    throw e;
  }
  throw new Error('parsed without an error');
}

describe('parseMarkdownKv', () => {
  it('reads front matter, sections, continuations and JSON values as the original did', () => {
    const doc = parseMarkdownKv(
      [
        '---',
        'title: T',
        'n: 3',
        '---',
        'a:: 1',
        '# S1',
        'b:: x',
        '  y',
        '',
        'prose',
        'c::',
        '## S2',
        'd:: [1, 2]',
      ].join('\n'),
      'doc.md',
    );
    expect(doc.firstHeading).toBe('S1');
    expect(
      doc.sections.map((s) => [s.name, s.level, s.kv.map((k) => [k.key, k.value, k.valueJson, k.ord])]),
    ).toEqual([
      [
        '_front_matter',
        0,
        [
          ['title', 'T', null, 0],
          ['n', '3', null, 1],
        ],
      ],
      ['_default', 0, [['a', '1', '1', 0]]],
      [
        'S1',
        1,
        [
          ['b', 'x\n  y', null, 0],
          ['c', '', null, 1],
        ],
      ],
      ['S2', 2, [['d', '[1, 2]', '[1, 2]', 0]]],
    ]);
  });

  it('a document without front matter or pairs has no sections', () => {
    expect(parseMarkdownKv('# Only a heading\n\ntext\n', 'doc.md').sections).toEqual([]);
  });

  it('names the line of each structural error', () => {
    expect(failure('a:: 1\n:: b\n').location).toMatchObject({ file: 'doc.md', line: 2 });
    expect(failure('---\ntitle: x\n').location?.line).toBe(1);
    expect(failure('---\nok: 1\nbad: [1\n---\n').location?.line).toBeGreaterThanOrEqual(3);
    expect(failure('---\n- a\n- b\n---\n').message).toContain('must be a mapping');
  });
});

describe('records as documents', () => {
  it('doc_id follows the original priority, else unknown', () => {
    expect(docIdOf({ id: '9', productid: '4' })).toBe('4');
    expect(docIdOf({ doc_id: 'd' })).toBe('d');
    expect(docIdOf({ name: 'x' })).toBe('unknown');
  });

  it('renders id/title as front matter and the rest as key:: value lines, which parse back', () => {
    const text = renderRecord({ id: '7', title: 'Hello', color: 'red', size: null });
    expect(text).toBe(['---', 'id: "7"', 'title: Hello', '---', '', 'color:: red', 'size:: '].join('\n'));
    const pairs = parseMarkdownKv(text, 'r').sections.flatMap((s) => s.kv.map((k) => `${k.key}=${k.value}`));
    expect(pairs).toEqual(['id=7', 'title=Hello', 'color=red', 'size=']);
  });

  it('layout defaults: string, and structured means row_per_kv', () => {
    expect(kvLayout({})).toBe('string');
    expect(kvLayout({ mode: 'structured' })).toBe('row_per_kv');
    expect(kvLayout({ mode: 'structured', structured_pattern: 'document_level' })).toBe('document_level');
    expect(kvLayout({ mode: 'raw_file', structured_pattern: 'hybrid' })).toBe('raw_file');
  });
});
