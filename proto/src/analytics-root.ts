import type { Root, Type } from 'protobufjs';
import { loadProtoRoot } from './load-root.ts';

/**
 * The analytics extension's entry file. It is a root of its own, apart from
 * otlpRoot, so that the OTLP root stays exactly upstream's schema (the wire
 * schema test compares it whole).
 */
export const analyticsProtoFiles: readonly string[] = ['justanalytics/analytics/v1/analytics_service.proto'];

/** justanalytics.analytics.v1: AnalyticsService and its messages, resolved. */
export const analyticsRoot: Root = loadProtoRoot(analyticsProtoFiles);

/** The gRPC service's fully qualified name. */
export const ANALYTICS_SERVICE = 'justanalytics.analytics.v1.AnalyticsService';

function lookup(name: string): Type {
  return analyticsRoot.lookupType(`justanalytics.analytics.v1.${name}`);
}

export const IngestEventsRequest: Type = lookup('IngestEventsRequest');
export const IngestEventsResponse: Type = lookup('IngestEventsResponse');
export const IdentifyRequest: Type = lookup('IdentifyRequest');
export const IdentifyResponse: Type = lookup('IdentifyResponse');
