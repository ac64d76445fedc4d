import type { OpenAPIObject, SchemaObject } from '@nestjs/swagger';

/** The limits of the running service, as its configuration sets them. */
export interface IngestionLimits {
  maxPayloadBytes: number;
  maxPayloadDepth: number;
  maxBatchRecords: number;
  maxBatchBytes: number;
}

type ExtensibleSchema = SchemaObject & { [extension: `x-${string}`]: unknown };

/**
 * Writes the configured limits into the request schemas, which the decorators describe before
 * any configuration is read: no member but the documented ones, the number of records of a
 * batch, and a payload's size and depth (`x-max-bytes`, `x-max-depth`: JSON Schema has no
 * keyword for either).
 */
export function withIngestionLimits(document: OpenAPIObject, limits: IngestionLimits): OpenAPIObject {
  const record = schemaNamed(document, 'IngestRecord');
  record.additionalProperties = false;
  Object.assign(propertyOf(record, 'payload'), {
    'x-max-bytes': limits.maxPayloadBytes,
    'x-max-depth': limits.maxPayloadDepth,
  });

  const batch = schemaNamed(document, 'IngestBatch');
  batch.additionalProperties = false;
  batch['x-max-bytes'] = limits.maxBatchBytes;
  propertyOf(batch, 'records').maxItems = limits.maxBatchRecords;
  propertyOf(schemaNamed(document, 'BatchReceipt'), 'records').maxItems = limits.maxBatchRecords;
  return document;
}

function schemaNamed(document: OpenAPIObject, name: string): ExtensibleSchema {
  const schema = document.components?.schemas?.[name];
  if (schema === undefined || '$ref' in schema) throw new Error(`the OpenAPI document has no schema ${name}`);
  return schema as ExtensibleSchema;
}

function propertyOf(schema: SchemaObject, name: string): ExtensibleSchema {
  const property = schema.properties?.[name];
  if (property === undefined || '$ref' in property) throw new Error(`the OpenAPI schema has no property ${name}`);
  return property as ExtensibleSchema;
}
