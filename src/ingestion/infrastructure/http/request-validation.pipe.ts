import { ArgumentMetadata, Injectable, PipeTransform, Type } from '@nestjs/common';
import { validate, ValidationError } from 'class-validator';
import { FieldError, RequestValidationError } from './request-validation.error';

/**
 * Validates a body or query against its DTO class and returns the original value.
 *
 * Unlike Nest's ValidationPipe it does not deep-copy the input through class-transformer:
 * the DTO instance gets the top-level properties only (defined, never assigned, so a
 * `__proto__` key stays data), and nested payloads are neither walked nor altered.
 */
@Injectable()
export class RequestValidationPipe implements PipeTransform {
  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const dtoClass = metadata.metatype as Type<object> | undefined;
    if (!dtoClass || dtoClass === Object || (metadata.type !== 'body' && metadata.type !== 'query')) return value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new RequestValidationError([], 'The request body must be a JSON object.');
    }
    const instance = Object.create(dtoClass.prototype as object) as Record<string, unknown>;
    for (const key of Object.keys(value)) {
      Object.defineProperty(instance, key, {
        value: (value as Record<string, unknown>)[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    const failures = await validate(instance, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
    });
    if (failures.length > 0) throw new RequestValidationError(failures.map(toFieldError));
    return value;
  }
}

function toFieldError(failure: ValidationError): FieldError {
  const messages = Object.values(failure.constraints ?? {});
  const message = failure.constraints?.whitelistValidation
    ? `${failure.property} is not a known field`
    : (messages[0] ?? `${failure.property} is not valid`);
  return { field: failure.property, message };
}
