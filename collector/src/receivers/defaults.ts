// Defaults of the receivers' options, in one place for code and README alike.

/** OTLP/HTTP's well-known port. */
export const DEFAULT_HTTP_PORT = 4318;
/** OTLP/gRPC's well-known port. */
export const DEFAULT_GRPC_PORT = 4317;
export const DEFAULT_HOST = '0.0.0.0';
/** Request size cap, applied to the body as received and after decompression. */
export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024;
/**
 * Memory budget of the requests in flight (bodies and their decoded rows), in
 * bytes. 256 MiB keeps what the receivers hold well below the 1–2 GiB a
 * container is typically given, leaving the rest to the sink's queue and the
 * process, while still admitting a couple of hundred typical exports at once
 * (a 512-span protobuf batch is about 220 KB, ~1.3 MB with its rows); a
 * request bigger than the whole budget still passes when it is alone.
 */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 256 * 1024 * 1024;
