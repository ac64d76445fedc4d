import { ArgumentMetadata, Injectable, PipeTransform, Type } from '@nestjs/common';
import { getMetadataStorage, validateSync, ValidationError } from 'class-validator';
import { FieldError, RequestValidationError } from './request-validation.error';

/**
 * Not Nest's ValidationPipe: that deep-copies the input through class-transformer, where this gives the DTO instance
 * the top-level properties only (defined, never assigned) and returns the original value. Unknown fields are found
 * here because class-validator's whitelist counts names inherited from Object.prototype (`__proto__`…) as known.
 */
@Injectable()
export class RequestValidationPipe implements PipeTransform {
  private readonly knownFields = new Map<Type<object>, Set<string>>();

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const dtoClass = metadata.metatype as Type<object> | undefined;
    if (!dtoClass || dtoClass === Object || (metadata.type !== 'body' && metadata.type !== 'query')) return value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new RequestValidationError([], 'The request body must be a JSON object.');
    }
    const known = this.fieldsOf(dtoClass);
    const unknown = Object.keys(value).filter((key) => !known.has(key));
    if (unknown.length > 0) {
      throw new RequestValidationError(unknown.map((field) => ({ field, message: `${field} is not a known field` })));
    }
    const instance = Object.create(dtoClass.prototype as object) as object;
    for (const key of Object.keys(value)) {
      Object.defineProperty(instance, key, {
        value: (value as Record<string, unknown>)[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    const failures = validateSync(instance, { validationError: { target: false, value: false } });
    if (failures.length > 0) throw new RequestValidationError(failures.map(toFieldError));
    return value;
  }

  private fieldsOf(dtoClass: Type<object>): Set<string> {
    let fields = this.knownFields.get(dtoClass);
    if (!fields) {
      const rules = getMetadataStorage().getTargetValidationMetadatas(dtoClass, '', true, false);
      fields = new Set(rules.map((rule) => rule.propertyName));
      this.knownFields.set(dtoClass, fields);
    }
    return fields;
  }
}

function toFieldError(failure: ValidationError): FieldError {
  const [message] = Object.values(failure.constraints ?? {});
  return { field: failure.property, message: message ?? `${failure.property} is not valid` };
}
