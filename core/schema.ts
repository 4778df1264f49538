/**
 * @module
 * Event schemas: any Standard Schema v1 object (zod 4, valibot, arktype).
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { EventValidationError } from './errors.js';

export type { StandardSchemaV1 };

export type SchemaMap = Record<string, StandardSchemaV1>;

/** Validates `data`; resolves to the schema's output (which is what travels) or rejects with an EventValidationError. */
export async function validateData(schema: StandardSchemaV1, name: string, data: unknown): Promise<unknown> {
  let result = schema['~standard'].validate(data);
  if (result instanceof Promise) result = await result;
  if (result.issues) {
    const issues = result.issues.map((i) => ({ message: i.message, path: i.path?.map((p) => (typeof p === 'object' ? p.key : p)) }));
    const detail = issues.map((i) => (i.path && i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
    throw new EventValidationError(`event "${name}" failed its schema: ${detail}`, { code: 'SCHEMA', eventName: name, issues });
  }
  return result.value;
}
