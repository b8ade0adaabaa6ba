/**
 * Source tags from database metadata (spec §6: "Postgres and MySQL use column comments and key
 * flags"). A column comment `classification: pii` (or `classification=pii`, or a comment that is a
 * single word like `PII`) gives that label; otherwise a primary-key column is tagged `primary_key`
 * and a unique-key column `unique`. Labels are lower-cased; the contract's classification and the
 * job's overrides still win over these (tags precedence).
 */

export interface ColumnMeta {
  name: string;
  comment?: string | null;
  primaryKey?: boolean;
  unique?: boolean;
}

export function labelFromComment(comment: string | null | undefined): string | undefined {
  if (!comment) return undefined;
  const m = /classification\s*[:=]\s*["']?([A-Za-z0-9_.-]+)/i.exec(comment);
  if (m?.[1]) return m[1].toLowerCase();
  const one = comment.trim();
  return /^[A-Za-z][A-Za-z0-9_-]{0,40}$/.test(one) ? one.toLowerCase() : undefined;
}

export function tagsFromColumns(columns: ColumnMeta[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const c of columns) {
    const label =
      labelFromComment(c.comment) ?? (c.primaryKey ? 'primary_key' : c.unique ? 'unique' : undefined);
    if (label) tags[c.name] = label;
  }
  return tags;
}
