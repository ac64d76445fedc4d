import { JsonObject, Payload, PayloadLimits } from '../../src/ingestion/domain/payload.value-object';

/** `{"v":""}`: what an object built by `ofSerializedBytes` weighs before its filler. */
const SINGLE_STRING_OVERHEAD = Buffer.byteLength('{"v":""}', 'utf8');

export class PayloadMother {
  static reading(): JsonObject {
    return { sensor: 'thermo-7', temperature: 21.5, unit: 'C', tags: ['indoor', 'floor-2'], ok: true, note: null };
  }

  /** Objects inside objects, `depth` levels in all: the returned object itself is level 1, `innermost` is level `depth`. */
  static nestedObjects(depth: number, innermost: JsonObject = {}): JsonObject {
    let node = innermost;
    for (let level = 1; level < depth; level++) node = { child: node };
    return node;
  }

  /** The payload object (level 1) holding arrays inside arrays, `depth` levels in all. */
  static nestedArrays(depth: number): JsonObject {
    if (depth < 2) return {};
    let node: unknown[] = [];
    for (let level = 2; level < depth; level++) node = [node];
    return { list: node };
  }

  /** `{"v":"<filler…>"}` that serialises to exactly `bytes` UTF-8 bytes; `filler` is repeated. */
  static ofSerializedBytes(bytes: number, filler = 'x'): JsonObject {
    const fillerBytes = Buffer.byteLength(filler, 'utf8');
    const room = bytes - SINGLE_STRING_OVERHEAD;
    if (room < 0 || room % fillerBytes !== 0) {
      throw new RangeError(`cannot build ${bytes} bytes from '${filler}' (${fillerBytes} bytes each)`);
    }
    return { v: filler.repeat(room / fillerBytes) };
  }

  static create(value: JsonObject = PayloadMother.reading(), limits?: PayloadLimits): Payload {
    return Payload.create(value, limits);
  }
}
