/**
 * Which input column feeds which contract field: the exact name first, then a case-insensitive
 * match among the columns not yet claimed (so `ID` and `id` in one file both map sensibly).
 */

export interface ColumnMapping {
  /** Input column index for each contract field, or -1 when the input lacks it. */
  fieldIndex: number[];
  /** Contract fields the input lacks. */
  missing: string[];
  /** Input columns no contract field claimed, in input order. */
  unexpected: { name: string; index: number }[];
}

export function mapColumns(fieldNames: readonly string[], inputNames: readonly string[]): ColumnMapping {
  const claimed = new Array<boolean>(inputNames.length).fill(false);
  const fieldIndex = fieldNames.map((name) => {
    const i = inputNames.indexOf(name);
    if (i >= 0 && !claimed[i]) {
      claimed[i] = true;
      return i;
    }
    return -1;
  });
  fieldNames.forEach((name, f) => {
    if (fieldIndex[f] !== -1) return;
    const lower = name.toLowerCase();
    const i = inputNames.findIndex((n, k) => !claimed[k] && n.toLowerCase() === lower);
    if (i >= 0) {
      claimed[i] = true;
      fieldIndex[f] = i;
    }
  });
  return {
    fieldIndex,
    missing: fieldNames.filter((_, f) => fieldIndex[f] === -1),
    unexpected: inputNames.flatMap((name, index) => (claimed[index] ? [] : [{ name, index }])),
  };
}
