/** The real data files of tests/fixtures/data through the CSV source, with exact values. */
import { describe, expect, it } from 'vitest';
import { DativoError } from '../../../host/errors.js';
import { dataFile } from './helpers.js';
import { csvSource, readAll } from './source-helpers.js';

const EMPLOYEE_COLUMNS = [
  'BusinessEntityID',
  'NationalIDNumber',
  'LoginID',
  'OrganizationNode',
  'OrganizationLevel',
  'JobTitle',
  'BirthDate',
  'MaritalStatus',
  'Gender',
  'HireDate',
  'SalariedFlag',
  'VacationHours',
  'SickLeaveHours',
  'CurrentFlag',
  'rowguid',
  'ModifiedDate',
];

describe('adventureworks Person.csv', () => {
  it('gives 10 rows of 13 columns, UTF-8 intact, empty optional fields null, no row for the trailing blank line', async () => {
    const r = await readAll(csvSource([dataFile('adventureworks/Person.csv')]));
    expect(r.columns).toHaveLength(13);
    expect(r.columns[0]).toBe('BusinessEntityID');
    expect(r.columns[12]).toBe('ModifiedDate');
    expect(r.rows).toHaveLength(10);
    expect(r.rows[0]).toEqual([
      '1',
      'EM',
      '0',
      'Mr.',
      'Ken',
      'J.',
      'Sánchez',
      null,
      '0',
      null,
      null,
      '92C4279F-1207-48A3-8448-33563BA6D921',
      '2009-01-07 00:00:00',
    ]);
    expect(r.rows[2]?.[5]).toBeNull(); // Roberto has no middle name
    expect(r.rows[9]?.[4]).toBe('Michael');
    expect(r.lines).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(r.batches[0]?.origin.file).toBe(dataFile('adventureworks/Person.csv'));
    expect(r.batches.every((b) => !b.rowErrors)).toBe(true);
  });
});

describe('adventureworks Product.csv', () => {
  it('gives 11 rows with CRLF stripped; the last line of only commas is an all-null row', async () => {
    const r = await readAll(csvSource([dataFile('adventureworks/Product.csv')]));
    expect(r.columns).toHaveLength(25);
    expect(r.rows).toHaveLength(11);
    const last = r.rows[10] as (string | null)[];
    expect(last).toHaveLength(25);
    expect(last.every((v) => v === null)).toBe(true);
    // No CR left at the end of the last column.
    expect(r.rows[9]?.[24]).toBe('2014-02-08 10:01:36.827');
    expect(r.rows[9]?.[1]).toBe('Chainring Bolts');
    expect(r.lines.at(-1)).toBe(12);
  });
});

describe('adventureworks Product_invalid.csv', () => {
  it('reports the ragged line 6 as a row error and maps NULL to null', async () => {
    const r = await readAll(
      csvSource([dataFile('adventureworks/Product_invalid.csv')], { null_values: ['NULL'] }),
    );
    expect(r.rows).toHaveLength(4);
    expect(r.lines).toEqual([2, 3, 4, 5]);
    const errors = r.batches.flatMap((b) => b.rowErrors ?? []);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      line: 6,
      file: dataFile('adventureworks/Product_invalid.csv'),
      rule: 'ragged',
      message: 'expected 25 fields, found 26',
    });
    expect(errors[0]?.raw?.startsWith('5,HL Mountain Frame,FR-M94B-38,')).toBe(true);
    expect(r.rows[0]?.[12]).toBeNull(); // WeightUnitMeasureCode NULL
    expect(r.rows[0]?.[21]).toBeNull(); // SellEndDate NULL
    expect(r.rows[2]?.[0]).toBeNull(); // the empty required id
    expect(r.rows[2]?.[23]).toBe('INVALID-GUID-HERE');
  });
});

describe('adventureworks Product_malformed.csv', () => {
  it('fails with CSV_PARSE naming the line where the unclosed quote opened', async () => {
    const file = dataFile('adventureworks/Product_malformed.csv');
    const err = await readAll(csvSource([file])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DativoError);
    expect((err as DativoError).code).toBe('CSV_PARSE');
    expect((err as DativoError).message).toBe('unclosed quote opened at line 4');
    expect((err as DativoError).location).toEqual({ file, row: 4 });
  });
});

describe('AdventureWorks OLTP Employee.csv (UTF-16 LE with BOM, tab, no header, CRLF)', () => {
  it('gives 290 rows of 16 columns with backslashes in login names intact', async () => {
    const r = await readAll(
      csvSource([dataFile('AdventureWorks-oltp-install-script/Employee.csv')], {
        encoding: 'utf-16-le',
        delimiter: '\t',
        header: false,
      }),
      { columnNames: EMPLOYEE_COLUMNS },
    );
    expect(r.columns).toEqual(EMPLOYEE_COLUMNS);
    expect(r.rows).toHaveLength(290);
    expect(r.rows.every((row) => row.length === 16)).toBe(true);
    expect(r.rows[0]?.[2]).toBe('adventure-works\\ken0');
    expect(r.rows[0]?.[3]).toBeNull(); // the CEO has no OrganizationNode
    expect(r.rows[0]?.[5]).toBe('Chief Executive Officer');
    expect(r.rows[0]?.[15]).toBe('2014-06-30 00:00:00');
    expect(r.rows[289]?.[0]).toBe('290');
    expect(r.lines[289]).toBe(290);
  });

  it('reads the same with encoding utf-16 (the BOM decides) and in batches of 100', async () => {
    const r = await readAll(
      csvSource([dataFile('AdventureWorks-oltp-install-script/Employee.csv')], {
        encoding: 'utf-16',
        delimiter: 'tab',
        has_header: false,
        batch_size: 100,
      }),
      { columnNames: EMPLOYEE_COLUMNS },
    );
    expect(r.batches.map((b) => b.batch.numRows)).toEqual([100, 100, 90]);
    expect(r.lines.slice(99, 101)).toEqual([100, 101]);
    expect(r.rows[1]?.[2]).toBe('adventure-works\\terri0');
  });
});

describe('AdventureWorks OLTP Department.csv (ASCII, tab, no header)', () => {
  it('gives 16 rows', async () => {
    const r = await readAll(
      csvSource([dataFile('AdventureWorks-oltp-install-script/Department.csv')], {
        delimiter: '\t',
        header: false,
      }),
      { columnNames: ['DepartmentID', 'Name', 'GroupName', 'ModifiedDate'] },
    );
    expect(r.rows).toHaveLength(16);
    expect(r.rows[0]).toEqual(['1', 'Engineering', 'Research and Development', '2008-04-30 00:00:00']);
    expect(r.rows[15]?.[0]).toBe('16');
  });
});

describe('adventureworks FactFinance.csv (UTF-16 LE, pipe, no header)', () => {
  it('streams 39k rows in batches without mixing anything up', async () => {
    const names = [
      'FinanceKey',
      'DateKey',
      'OrganizationKey',
      'DepartmentGroupKey',
      'ScenarioKey',
      'AccountKey',
      'Amount',
      'Date',
    ];
    const r = await readAll(
      csvSource([dataFile('adventureworks/FactFinance.csv')], {
        encoding: 'utf-16le',
        delimiter: '|',
        header: false,
      }),
      { columnNames: names },
      {},
      5000,
    );
    expect(r.rows.length).toBeGreaterThan(39_000);
    expect(r.rows[0]).toEqual(['1', '20101229', '3', '1', '1', '60', '22080', '2010-12-29 00:00:00']);
    expect(r.lines.every((l, i) => l === i + 1)).toBe(true);
    expect(r.rows.every((row, i) => row[0] === String(i + 1))).toBe(true);
  });
});

describe('employee data set', () => {
  it('gives 5,000 rows', async () => {
    const r = await readAll(csvSource([dataFile('employee/Employee_Complete_Dataset.csv')]), {}, {}, 1024);
    expect(r.rows).toHaveLength(5000);
    expect(r.batches.map((b) => b.batch.numRows).slice(0, 4)).toEqual([1024, 1024, 1024, 1024]);
  });
});
