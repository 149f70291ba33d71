import type { OtlpEncoding } from './otlp-encoding.ts';

/** What partialSuccessEncoder needs of a protobufjs response Type. */
export interface ResponseType {
  encode(message: object): { finish(): Uint8Array };
}

const EMPTY_JSON_RESPONSE = Buffer.from('{}');

/**
 * The encodeResponse of a signal whose Export…ServiceResponse is
 * `{ partial_success: { rejected_<items> (int64), error_message } }`, as
 * every OTLP signal's is; `rejectedField` is the count's protobufjs (and
 * OTLP/JSON) name, e.g. rejectedSpans.
 */
export function partialSuccessEncoder(responseType: ResponseType, rejectedField: string): (rejected: number, message: string, encoding: OtlpEncoding) => Buffer {
  return (rejected, message, encoding) => {
    // The spec wants partial_success left unset on full success.
    const partial = rejected > 0 || message !== '';
    if (encoding === 'json') {
      if (!partial) return EMPTY_JSON_RESPONSE;
      // proto3 JSON writes int64 as a decimal string.
      return Buffer.from(JSON.stringify({ partialSuccess: { [rejectedField]: String(rejected), errorMessage: message } }));
    }
    if (!partial) return Buffer.alloc(0);
    const bytes = responseType.encode({ partialSuccess: { [rejectedField]: rejected, errorMessage: message } }).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}
