/**
 * The request body cannot be decoded at all (bad protobuf, bad JSON, wrong
 * shape). Receivers answer it as a permanent client error; spans that decode
 * but are invalid are rejected one by one instead, through partial_success.
 */
export class MalformedRequestError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MalformedRequestError';
  }
}
