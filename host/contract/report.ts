/**
 * What validation reports: issues (capped in detail, exact in counts), reject lines for the
 * `_rejects/<run-id>.jsonl` dead-letter file, and the run summary. Memory stays bounded however
 * many rows fail: beyond the cap only the per-(field, rule) counters grow.
 */

export type IssueRule =
  | 'missing_required'
  | 'type_mismatch'
  | 'max_length'
  | 'pattern'
  | 'valid_values'
  | 'minimum'
  | 'maximum'
  | 'ragged'
  | (string & {});

export interface ValidationIssue {
  /** 1-based physical line of the row in its file, when the source knows it. */
  line?: number;
  file?: string;
  field: string;
  rule: IssueRule;
  /** The offending value as text; `***` when the field is sensitive. Absent for missing values. */
  value?: string;
  /** Never contains the value itself, so messages are safe to log. */
  message: string;
}

export interface RejectReason {
  field: string;
  rule: IssueRule;
  message: string;
}

/** One line of `_rejects/<run-id>.jsonl`. */
export interface RejectLine {
  line?: number;
  file?: string;
  reasons: RejectReason[];
  /** The row's values as text (sensitive ones masked); `_raw` holds the raw text of a ragged row. */
  values: Record<string, string | null>;
}

export interface IssueCount {
  field: string;
  rule: string;
  count: number;
}

export interface ColumnMismatch {
  missing: string[];
  unexpected: string[];
}

export interface ValidationSummary {
  rowsIn: number;
  rowsValid: number;
  rowsWithIssues: number;
  issuesTotal: number;
  /** The first `maxDetailedIssues` issues of the run, in full. */
  firstIssues: ValidationIssue[];
  counts: IssueCount[];
  columnMismatch?: ColumnMismatch;
}

export const MASK = '***';

/** Run-wide issue bookkeeping. */
export interface IssueLog {
  /** Counts one issue; call `keep` too while `wantsDetail()` is true. */
  count(field: string, rule: IssueRule): void;
  wantsDetail(): boolean;
  keep(issue: ValidationIssue): void;
  total(): number;
  first(): ValidationIssue[];
  counts(): IssueCount[];
}

export function createIssueLog(maxDetailed: number): IssueLog {
  const first: ValidationIssue[] = [];
  // field → rule → count; nested maps keep string building off the per-issue path.
  const counts = new Map<string, Map<string, number>>();
  let total = 0;
  return {
    count(field, rule) {
      total++;
      let byRule = counts.get(field);
      if (!byRule) {
        byRule = new Map();
        counts.set(field, byRule);
      }
      byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
    },
    wantsDetail: () => first.length < maxDetailed,
    keep(issue) {
      if (first.length < maxDetailed) first.push(issue);
    },
    total: () => total,
    first: () => first.slice(),
    counts() {
      const out: IssueCount[] = [];
      for (const [field, byRule] of counts)
        for (const [rule, count] of byRule) out.push({ field, rule, count });
      return out;
    },
  };
}
