export const usage = `Usage: justanalytics <command> [options]

Commands:
  serve                         run the collector (OTLP/HTTP, OTLP/gRPC), the API and the jobs
  serve --no-ingest             run the API and the jobs only, beside collect processes
  collect                       run the receivers only (OTLP/HTTP with /healthz and
                                /readyz, OTLP/gRPC): stateless, as many as needed on
                                one database (DATABASE_URL); no API, no jobs
  migrate                       bring the database schema up to date
  sites create --name N [--domain D]… [--timezone Z] [--json]
  sites list [--json]
  sites update ID [--name N] [--domain D]… [--timezone Z] [--exclude-ip IP|CIDR]…
               [--exclude-country CC]… [--json]
                                change a site's analytics settings; a repeated
                                option lists several, and a list given replaces
                                the stored one ('' alone empties it)
  keys create --site ID [--scopes S,…] [--name N] [--json]
                                print a new API key (shown once); scopes ingest,
                                read, admin; default ingest only
  keys list [--site ID] [--json]
  keys revoke ID [--json]
  citus enable [--json]         distribute the tables over a Citus cluster (needs
                                the citus extension; safe to run again)

Options for every command:
  --data-dir DIR                embedded database directory (default ./.justanalytics,
                                env JUSTANALYTICS_DATA_DIR); ignored when DATABASE_URL is set
Options for serve and collect:
  --host H                      listen address (default 127.0.0.1, env JUSTANALYTICS_HOST)
  --otlp-http-port N            default 4318 (env JUSTANALYTICS_OTLP_HTTP_PORT)
  --otlp-grpc-port N            default 4317 (env JUSTANALYTICS_OTLP_GRPC_PORT)
  --api-port N                  serve only; default 8080 (env JUSTANALYTICS_API_PORT)
  --no-ingest                   serve only: no receivers, no OTLP ports
Retention for serve and collect (env only): JUSTANALYTICS_RETENTION_DAYS days of every signal
  (default 30); JUSTANALYTICS_TRACES_RETENTION_DAYS, JUSTANALYTICS_LOGS_RETENTION_DAYS
  and JUSTANALYTICS_METRICS_RETENTION_DAYS and JUSTANALYTICS_EVENTS_RETENTION_DAYS set one
  signal apart; JUSTANALYTICS_ANALYTICS_ROLLUP_RETENTION_DAYS keeps the analytics rollups and
  drop counts (default 800, apart from raw events); JUSTANALYTICS_ANALYTICS_ROLLUP_INTERVAL_SECONDS
  is how often the analytics rollup job runs (default 60)
`;
