// Defaults of the receivers' options, in one place for code and README alike.

/** OTLP/HTTP's well-known port. */
export const DEFAULT_HTTP_PORT = 4318;
/** OTLP/gRPC's well-known port. */
export const DEFAULT_GRPC_PORT = 4317;
/**
 * Loopback: a self-hosted install is reachable only from its own machine
 * until its operator says otherwise (in a container, 0.0.0.0).
 */
export const DEFAULT_HOST = '127.0.0.1';
/** Request size cap, applied to the body as received and after decompression. */
export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024;
/**
 * Memory budget of the requests in flight (bodies and their decoded rows), in
 * bytes. 256 MiB keeps what the receivers hold well below the 1–2 GiB a
 * container is typically given, leaving the rest to the sink's queue and the
 * process, while still admitting about a hundred typical exports at once (a
 * 512-span protobuf batch is about 220 KB, 2.8 MB with what decoding builds,
 * as decode/request-scan.ts estimates it). A request whose body and decoded
 * rows could not fit the whole budget is refused as too large (413), so the
 * budget bounds what every request together can cost: about 22 MiB of
 * ordinary protobuf spans or 32 MiB of OTLP/JSON fit alone, above the
 * OpenTelemetry Collector's own 20 MiB HTTP default.
 */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 256 * 1024 * 1024;
/**
 * Longest a request may take to arrive whole. OTel SDK exporters give up
 * after 10 s, the Collector's after 5–30 s, so 30 s only cuts off clients
 * that were never going to finish: a slow upload holds its memory no longer.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Longest shutdown waits for running exports: below Kubernetes' default 30 s grace period. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 20_000;
/**
 * Calls open at once on one OTLP/gRPC connection (HTTP/2
 * SETTINGS_MAX_CONCURRENT_STREAMS): the common default of gRPC servers, far
 * more than an exporter uses (one or a few), and a bound on what one
 * connection can make the receiver hold before keys are checked: a call's
 * stream is paused until then, and Node buffers at most 128 KiB of a paused
 * stream (two 64 KiB flow-control windows, as measured), 12.5 MiB for 100.
 */
export const DEFAULT_GRPC_MAX_CONCURRENT_STREAMS = 100;
/**
 * Memory one OTLP/gRPC connection's HTTP/2 session may take, in megabytes
 * (Node's maxSessionMemory; past it, new calls on that connection are refused
 * with ENHANCE_YOUR_CALM). grpc-js lifts Node's 10 MB default to unlimited;
 * this puts a limit back, with room for what a full set of paused streams
 * buffers (12.5 MiB, see above) and their headers. Node also counts incoming
 * data of paused streams against it: a lower limit buffers less of them.
 */
export const DEFAULT_GRPC_MAX_SESSION_MEMORY_MB = 32;
