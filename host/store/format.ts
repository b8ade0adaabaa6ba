/**
 * Run history as text for `dativo runs`: fixed-width tables, status colours only on a TTY (so
 * pipes, files and CI logs get plain text).
 */
import { stripVTControlCharacters } from 'node:util';
import type { LogLine, RunEntry } from './types.js';

const COLOURS: Record<string, string> = {
  succeeded: '32',
  nothing_new: '32',
  succeeded_with_warnings: '33',
  running: '36',
  queued: '36',
  retry_wait: '33',
  failed: '31',
  interrupted: '31',
  cancelled: '35',
  skipped: '35',
};

export function paint(status: string, colour: boolean): string {
  const c = COLOURS[status];
  return colour && c ? `\x1b[${c}m${status}\x1b[0m` : status;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} m ${Math.round(s % 60)} s`;
}

function table(header: string[], rows: string[][], widths: number[]): string {
  const visible = (t: string) => stripVTControlCharacters(t).length;
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(1, widths[i]! - visible(c) + 2))))
      .join('');
  return [line(header), ...rows.map(line)].join('\n');
}

export function runsTable(runs: RunEntry[], colour: boolean): string {
  if (runs.length === 0) return 'no runs recorded';
  const header = ['RUN', 'JOB', 'TENANT', 'STATUS', 'STARTED', 'DURATION', 'ROWS', 'ERROR'];
  const rows = runs.map((r) => [
    r.id,
    r.job,
    r.tenant,
    paint(r.status, colour),
    r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    duration(r.durationMs),
    String(r.rows.written),
    r.errorCode ? `${r.errorCode}: ${(r.errorMessage ?? '').split('\n')[0]!.slice(0, 60)}` : '',
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => stripVTControlCharacters(r[i]!).length)),
  );
  return table(header, rows, widths);
}

export function runDetail(r: RunEntry, colour: boolean): string {
  const out = [
    `run       ${r.id}`,
    `job       ${r.job} (${r.jobFile})`,
    `tenant    ${r.tenant}`,
    `status    ${paint(r.status, colour)}${r.exitCode !== undefined ? ` (exit ${r.exitCode})` : ''}`,
    `trigger   ${r.trigger}${r.schedule ? ` (schedule ${r.schedule})` : ''} via ${r.origin} on ${r.host}`,
    `started   ${r.startedAt}`,
    `finished  ${r.finishedAt ?? '-'}`,
    `duration  ${duration(r.durationMs)}`,
    `attempts  ${r.attempts}`,
    `rows      ${r.rows.read} read, ${r.rows.written} written, ${r.rows.invalid} invalid`,
    `bytes     ${r.bytes.read} read, ${r.bytes.written} written`,
  ];
  if (r.peakRssMb !== undefined) out.push(`peak RSS  ${r.peakRssMb} MB`);
  if (r.errorCode) out.push(`error     [${r.errorCode}] ${r.errorMessage ?? ''}`);
  if (r.streams.length > 0) {
    out.push('', 'streams:');
    for (const s of r.streams)
      out.push(
        `  ${s.name}: ${paint(s.status, colour)}, ${s.rows.written} rows, ${s.bytes.written} bytes, ${s.files} file(s)`,
      );
  }
  if (r.files.length > 0) {
    out.push('', 'files:');
    for (const f of r.files) out.push(`  ${f.key} (${f.rows} rows, ${f.bytes} bytes)`);
  }
  if (r.stateBefore !== undefined || r.stateAfter !== undefined) {
    out.push(
      '',
      `state before: ${JSON.stringify(r.stateBefore ?? null)}`,
      `state after:  ${JSON.stringify(r.stateAfter ?? null)}`,
    );
  }
  return out.join('\n');
}

export function logText(lines: LogLine[]): string {
  if (lines.length === 0) return 'no warnings or errors were logged';
  return lines.map((l) => `${l.at} ${l.level.toUpperCase().padEnd(5)} ${l.message}`).join('\n');
}
