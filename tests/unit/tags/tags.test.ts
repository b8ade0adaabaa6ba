import { describe, expect, it } from 'vitest';
import type { Contract, ContractField } from '../../../host/contract/model.js';
import { deriveTags, tagsToKeyValue, tagsToTableProperties } from '../../../host/tags/index.js';

function field(name: string, classification?: string): ContractField {
  return {
    name,
    type: { kind: 'string' },
    typeName: 'string',
    required: false,
    constraints: {},
    ...(classification ? { classification } : {}),
  };
}

/** tests/fixtures/original-configs/tests/fixtures/assets/csv/v1.0/employee.yaml, as the loader normalises it. */
function employeeContract(): Contract {
  return {
    file: 'tests/fixtures/original-configs/tests/fixtures/assets/csv/v1.0/employee.yaml',
    form: 'flat',
    apiVersion: 'v3.0.2',
    kind: 'DataContract',
    id: '550e8400-e29b-41d4-a716-446655440004',
    name: 'csv_employee',
    version: '1.0',
    status: 'active',
    domain: 'dativo',
    dataProduct: 'employee',
    tenant: 'test_tenant',
    sourceType: 'csv',
    object: 'Employee_Complete_Dataset',
    tags: ['employee', 'hr', 'test-data'],
    owner: 'data-team@company.com',
    compliance: { classification: ['PII', 'SENSITIVE'], regulations: ['GDPR', 'CCPA'], retentionDays: 90 },
    finops: { businessTags: [] },
    target: { fileFormat: 'parquet', partitioning: ['ingest_date'], mode: 'strict' },
    fields: [
      field('employee_id'),
      field('first_name', 'pii'),
      field('last_name', 'pii'),
      field('email', 'pii'),
      field('phone_number', 'pii'),
      field('hire_date'),
      field('job_id'),
      field('salary', 'sensitive'),
      field('commission_pct'),
      field('manager_id'),
      field('department_id'),
      field('status'),
      field('created_at'),
      field('updated_at'),
    ],
  };
}

/** docs/examples/jobs/acme/employee_with_overrides.yaml */
const ACME_OVERRIDES = {
  classificationOverrides: {
    email: 'high_pii',
    phone_number: 'high_pii',
    salary: 'financial',
    default: 'pii',
  },
  finops: {
    costCenter: 'HR-001',
    businessTags: ['hr', 'payroll', 'compliance'],
    project: 'employee-data-platform',
    environment: 'production',
  },
  governanceOverrides: { retentionDays: 365, owner: 'hr-data-team@acme.com' },
  tenant: 'acme',
};

describe('deriveTags: the original employee_with_overrides job over the employee contract', () => {
  const tags = deriveTags({ contract: employeeContract(), ...ACME_OVERRIDES });

  it('applies field overrides over contract labels, and labels only labelled fields', () => {
    expect(tags.classification).toEqual({
      default: 'pii',
      fields: {
        first_name: 'pii',
        last_name: 'pii',
        email: 'high_pii',
        phone_number: 'high_pii',
        salary: 'financial',
      },
    });
  });

  it('takes retention and owner from the job, domain/product/regulations from the contract', () => {
    expect(tags.governance).toEqual({
      retentionDays: 365,
      owner: 'hr-data-team@acme.com',
      domain: 'dativo',
      dataProduct: 'employee',
      regulations: ['GDPR', 'CCPA'],
    });
  });

  it('takes FinOps from the job and asset identity from the contract', () => {
    expect(tags.finops).toEqual({
      costCenter: 'HR-001',
      businessTags: ['hr', 'payroll', 'compliance'],
      project: 'employee-data-platform',
      environment: 'production',
    });
    expect(tags.asset).toEqual({
      name: 'csv_employee',
      version: '1.0',
      domain: 'dativo',
      dataProduct: 'employee',
      sourceType: 'csv',
      object: 'Employee_Complete_Dataset',
      contractId: '550e8400-e29b-41d4-a716-446655440004',
    });
    expect(tags.tenant).toBe('acme');
  });

  it('flattens to dativo.* Parquet key-value metadata, every value a string', () => {
    expect(tagsToKeyValue(tags)).toEqual({
      'dativo.contract.id': '550e8400-e29b-41d4-a716-446655440004',
      'dativo.contract.version': '1.0',
      'dativo.asset.name': 'csv_employee',
      'dativo.asset.domain': 'dativo',
      'dativo.asset.data_product': 'employee',
      'dativo.asset.source_type': 'csv',
      'dativo.asset.object': 'Employee_Complete_Dataset',
      'dativo.tenant': 'acme',
      'dativo.classification.default': 'pii',
      'dativo.classification.fields.first_name': 'pii',
      'dativo.classification.fields.last_name': 'pii',
      'dativo.classification.fields.email': 'high_pii',
      'dativo.classification.fields.phone_number': 'high_pii',
      'dativo.classification.fields.salary': 'financial',
      'dativo.governance.retention_days': '365',
      'dativo.governance.owner': 'hr-data-team@acme.com',
      'dativo.governance.domain': 'dativo',
      'dativo.governance.data_product': 'employee',
      'dativo.governance.regulations': 'GDPR,CCPA',
      'dativo.finops.cost_center': 'HR-001',
      'dativo.finops.business_tags': 'hr,payroll,compliance',
      'dativo.finops.project': 'employee-data-platform',
      'dativo.finops.environment': 'production',
    });
  });

  it('flattens to the spec §6 Iceberg table property names', () => {
    const props = tagsToTableProperties(tags);
    expect(props).toMatchObject({
      'classification.default': 'pii',
      'classification.fields.email': 'high_pii',
      'classification.fields.salary': 'financial',
      'governance.retention_days': '365',
      'governance.owner': 'hr-data-team@acme.com',
      'governance.domain': 'dativo',
      'governance.data_product': 'employee',
      'governance.regulations': 'GDPR,CCPA',
      'finops.cost_center': 'HR-001',
      'finops.business_tags': 'hr,payroll,compliance',
      'finops.project': 'employee-data-platform',
      'finops.environment': 'production',
      'asset.name': 'csv_employee',
      'asset.version': '1.0',
      'asset.domain': 'dativo',
      'asset.data_product': 'employee',
      'asset.source_type': 'csv',
      'asset.object': 'Employee_Complete_Dataset',
    });
    expect(Object.keys(props)).toHaveLength(21);
    expect(Object.keys(props).some((k) => k.startsWith('dativo.'))).toBe(false);
  });
});

describe('deriveTags: precedence rules one by one', () => {
  const base = { classificationOverrides: {}, tenant: 't1' };

  it('without overrides: contract labels, first compliance classification as default, contract governance', () => {
    const tags = deriveTags({ contract: employeeContract(), ...base });
    expect(tags.classification.default).toBe('pii');
    expect(tags.classification.fields.email).toBe('pii');
    expect(tags.classification.fields.salary).toBe('sensitive');
    expect(tags.governance.retentionDays).toBe(90);
    expect(tags.governance.owner).toBe('data-team@company.com');
    expect(tagsToKeyValue(tags)['dativo.finops.business_tags']).toBeUndefined();
  });

  it('source tags < contract < override, all lower-cased; no source tag means no label', () => {
    const tags = deriveTags({
      contract: employeeContract(),
      ...base,
      classificationOverrides: { Email: 'Restricted_PII' },
      sourceTags: { email: 'SOURCE_EMAIL', salary: 'Source_Salary', job_id: 'Internal', status: '  ' },
    });
    expect(tags.classification.fields.email).toBe('restricted_pii'); // override (case-insensitive key)
    expect(tags.classification.fields.salary).toBe('sensitive'); // contract over source
    expect(tags.classification.fields.job_id).toBe('internal'); // source only
    expect(tags.classification.fields.status).toBeUndefined(); // blank source tag is no label
    expect(tags.classification.fields.employee_id).toBeUndefined(); // never a default `column` label
    expect(Object.keys(tags.classification.fields).sort()).toEqual([
      'email',
      'first_name',
      'job_id',
      'last_name',
      'phone_number',
      'salary',
    ]);
  });

  it('ignores source tags and overrides for columns the contract does not have', () => {
    const tags = deriveTags({
      contract: employeeContract(),
      ...base,
      classificationOverrides: { ssn: 'pii' },
      sourceTags: { extra_col: 'pii' },
    });
    expect(tags.classification.fields.ssn).toBeUndefined();
    expect(tags.classification.fields.extra_col).toBeUndefined();
  });

  it('table default: the override default beats compliance; none when neither is set', () => {
    expect(
      deriveTags({ contract: employeeContract(), ...base, classificationOverrides: { default: 'PUBLIC' } })
        .classification.default,
    ).toBe('public');
    const c = employeeContract();
    c.compliance.classification = [];
    const tags = deriveTags({ contract: c, ...base });
    expect(tags.classification.default).toBeUndefined();
    expect(tagsToKeyValue(tags)['dativo.classification.default']).toBeUndefined();
    // `default` is the table's, never a field label.
    expect(
      deriveTags({ contract: c, ...base, classificationOverrides: { default: 'x' } }).classification.fields
        .default,
    ).toBeUndefined();
  });

  it('retention_days: an override of 0 wins and is written as "0"', () => {
    const tags = deriveTags({
      contract: employeeContract(),
      ...base,
      governanceOverrides: { retentionDays: 0 },
    });
    expect(tags.governance.retentionDays).toBe(0);
    expect(tagsToKeyValue(tags)['dativo.governance.retention_days']).toBe('0');
    expect(tagsToTableProperties(tags)['governance.retention_days']).toBe('0');
  });

  it('owner: an empty-string override removes the contract owner', () => {
    const tags = deriveTags({ contract: employeeContract(), ...base, governanceOverrides: { owner: '' } });
    expect(tags.governance.owner).toBeUndefined();
    expect('dativo.governance.owner' in tagsToKeyValue(tags)).toBe(false);
  });

  it('FinOps: job values override the asset field by field; empty job business tags keep the asset ones', () => {
    const c = employeeContract();
    c.finops = {
      costCenter: 'ASSET-CC',
      businessTags: ['a', 'b'],
      project: 'asset-proj',
      environment: 'dev',
    };
    const onlyAsset = deriveTags({ contract: c, ...base });
    expect(onlyAsset.finops).toEqual({
      costCenter: 'ASSET-CC',
      businessTags: ['a', 'b'],
      project: 'asset-proj',
      environment: 'dev',
    });
    const mixed = deriveTags({ contract: c, ...base, finops: { costCenter: 'JOB-CC', businessTags: [] } });
    expect(mixed.finops).toEqual({
      costCenter: 'JOB-CC',
      businessTags: ['a', 'b'],
      project: 'asset-proj',
      environment: 'dev',
    });
    expect(tagsToKeyValue(mixed)['dativo.finops.business_tags']).toBe('a,b');
    const job = deriveTags({ contract: c, ...base, finops: { businessTags: ['x'], environment: 'prod' } });
    expect(job.finops.businessTags).toEqual(['x']);
    expect(job.finops.environment).toBe('prod');
  });

  it('omits unset asset keys from both flattenings', () => {
    const c = employeeContract();
    c.domain = undefined;
    c.dataProduct = undefined;
    c.sourceType = undefined;
    c.object = undefined;
    c.compliance.regulations = [];
    const tags = deriveTags({ contract: c, ...base });
    const kv = tagsToKeyValue(tags);
    for (const k of [
      'asset.domain',
      'asset.data_product',
      'asset.source_type',
      'asset.object',
      'governance.domain',
      'governance.regulations',
    ]) {
      expect(kv[`dativo.${k}`]).toBeUndefined();
      expect(tagsToTableProperties(tags)[k]).toBeUndefined();
    }
    expect(Object.values(kv).every((v) => typeof v === 'string' && v !== '')).toBe(true);
  });
});
