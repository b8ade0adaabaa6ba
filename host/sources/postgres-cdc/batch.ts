/**
 * One peeked batch of pgoutput messages → the captured table's netted changes. Only whole
 * transactions count (changes after the last COMMIT wait for the next batch), and a transaction
 * that committed before `position` (the table's stored position) is skipped: it is in the table
 * already, from a run that committed but could not advance the slot.
 */
import { DativoError } from '../../errors.js';
import { type NetResult, type RowChange, TableNetter } from './netting.js';
import { decodePgOutput } from './pgoutput.js';
import type { RawChange } from './slot.js';
import type { CdcTableInfo } from './table.js';

export interface DecodedBatch {
  net: NetResult;
  /** Row changes of the captured table in the transactions taken. */
  changes: number;
  /** End of the last whole transaction (the slot may move here), undefined when none ended. */
  endLsn: bigint | undefined;
}

function checkColumns(info: CdcTableInfo, names: string[]): void {
  const ours = info.rel.columns.map((c) => c.name);
  if (names.join('\0') !== ours.join('\0')) {
    throw new DativoError(
      'NOT_IMPLEMENTED',
      `postgres_cdc: the columns of ${info.rel.from} changed (now ${names.join(', ')}; the Iceberg table has ${ours.join(', ')}); schema changes are not captured yet`,
    );
  }
}

export function applyChanges(raw: RawChange[], info: CdcTableInfo, position: bigint): DecodedBatch {
  const keyIdx = info.key.map((k) => info.rel.columns.findIndex((c) => c.name === k));
  const netter = new TableNetter(keyIdx);
  let pending: RowChange[] = [];
  let skip = false;
  let changes = 0;
  let endLsn: bigint | undefined;
  for (const r of raw) {
    const m = decodePgOutput(r.data);
    switch (m.tag) {
      case 'begin':
        pending = [];
        skip = m.finalLsn < position;
        break;
      case 'relation':
        if (m.oid === info.oid)
          checkColumns(
            info,
            m.columns.map((c) => c.name),
          );
        break;
      case 'insert':
        if (m.relation === info.oid) pending.push({ op: 'insert', row: m.newTuple });
        break;
      case 'update':
        if (m.relation !== info.oid) break;
        pending.push({
          op: 'update',
          ...(m.oldTuple ? { old: m.oldTuple, oldFull: m.oldKind === 'O' } : {}),
          row: m.newTuple,
        });
        break;
      case 'delete':
        if (m.relation === info.oid) pending.push({ op: 'delete', old: m.oldTuple });
        break;
      case 'truncate':
        if (m.relations.includes(info.oid)) pending.push({ op: 'truncate' });
        break;
      case 'commit':
        if (!skip) {
          for (const ch of pending) netter.add(ch);
          changes += pending.length;
        }
        pending = [];
        endLsn = m.endLsn;
        break;
      default:
        break; // origin, type, logical messages (the heartbeat)
    }
  }
  return { net: netter.result(), changes, endLsn };
}
