/**
 * The types of an Iceberg schema (spec: "Schemas and Data Types"), apart from the table metadata
 * so that field-id checks and metadata can both use them without importing each other.
 */

/** Primitive type strings of the spec (`decimal(p,s)`, `fixed[n]` included). */
export type PrimitiveType = string;

/** A struct, list or map type: its children carry field ids of their own (spec: "Nested Types"). */
export interface StructType {
  type: 'struct';
  fields: NestedField[];
}
export interface ListType {
  type: 'list';
  'element-id': number;
  element: IcebergType;
  'element-required': boolean;
}
export interface MapType {
  type: 'map';
  'key-id': number;
  key: IcebergType;
  'value-id': number;
  value: IcebergType;
  'value-required': boolean;
}
export type IcebergType = PrimitiveType | StructType | ListType | MapType;

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
}

export interface IcebergSchema {
  type: 'struct';
  'schema-id': number;
  'identifier-field-ids'?: number[];
  fields: NestedField[];
}
