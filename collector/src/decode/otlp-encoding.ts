/** The two OTLP payload encodings: binary protobuf and OTLP/JSON. */
export type OtlpEncoding = 'protobuf' | 'json';
