/** Field-level helpers shared by the parser and discover(): unescaping and header names. */

/** Field kinds as the parser records them (see parser.ts). */
const PLAIN = 0;
const QUOTED_SIMPLE = 1;

/**
 * The value of a raw field buf[s, e): strips the surrounding quotes, turns `""` into `"` and
 * `<esc>x` into `x`. Bytes after the closing quote are kept literally (lenient, like pandas).
 */
export function unescapeField(
  buf: Uint8Array,
  s: number,
  e: number,
  kind: number,
  o: { quote: number; escape: number },
): Uint8Array {
  if (kind === PLAIN) return buf.slice(s, e);
  if (kind === QUOTED_SIMPLE) return buf.slice(s + 1, e - 1);
  const out = new Uint8Array(e - s);
  return out.subarray(0, unescapeInto(buf, s, e, o, out, 0));
}

/** Writes the value of the raw quoted field buf[s, e) into out from `at`; returns the end index. */
export function unescapeInto(
  buf: Uint8Array,
  s: number,
  e: number,
  o: { quote: number; escape: number },
  out: Uint8Array,
  at: number,
): number {
  const quote = o.quote;
  const esc = o.escape === quote ? -1 : o.escape;
  let p = at;
  let i = s;
  if (buf[i] === quote) {
    i++;
    while (i < e) {
      const c = buf[i] as number;
      if (c === esc && i + 1 < e) {
        out[p++] = buf[i + 1] as number;
        i += 2;
      } else if (c === quote) {
        if (i + 1 < e && buf[i + 1] === quote) {
          out[p++] = quote;
          i += 2;
        } else {
          i++;
          break;
        }
      } else {
        out[p++] = c;
        i++;
      }
    }
  }
  while (i < e) out[p++] = buf[i++] as number;
  return p;
}

/** Header names made unique: blank → `column_<n>` (1-based position), repeats → `name_2`, `name_3`. */
export function dedupeNames(names: readonly string[]): string[] {
  const taken = new Set<string>();
  const out: string[] = [];
  names.forEach((raw, idx) => {
    const base = raw === '' ? `column_${idx + 1}` : raw;
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    out.push(name);
  });
  return out;
}
