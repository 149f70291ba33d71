// Defaults of the receivers' options, in one place for code and README alike.

/** OTLP/HTTP's well-known port. */
export const DEFAULT_HTTP_PORT = 4318;
/** OTLP/gRPC's well-known port. */
export const DEFAULT_GRPC_PORT = 4317;
export const DEFAULT_HOST = '0.0.0.0';
/** Request size cap, applied to the body as received and after decompression. */
export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024;
