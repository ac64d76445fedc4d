import type { OpenAPIObject, SchemaObject } from '@nestjs/swagger';

export interface IngestionLimits {
  maxPayloadBytes: number;
  maxPayloadDepth: number;
  maxBatchRecords: number;
  maxBatchBytes: number;
}

type ExtensibleSchema = SchemaObject & { [extension: `x-${string}`]: unknown };

/** The decorators describe the schemas before any configuration is read, so the limits are written in here. */
export function withIngestionLimits(document: OpenAPIObject, limits: IngestionLimits): OpenAPIObject {
  const record = schemaNamed(document, 'IngestRecord');
  record.additionalProperties = false;
  // JSON Schema has no keyword for a size in bytes or a depth.
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
