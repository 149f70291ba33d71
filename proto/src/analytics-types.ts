// Shapes of justanalytics.analytics.v1 messages as decode() returns them
// (protobufjs reflection, lowerCamelCase names; the rules of otlp-types.ts
// apply: absent scalars read as their defaults, oneof members are told by
// the oneof's name property, 64-bit integers are Longs).
import type { Int64 } from './otlp-types.ts';

export interface IPropValue {
  /** Which member is set; undefined for an empty value. */
  value?: 'stringValue' | 'boolValue' | 'intValue' | 'doubleValue';
  stringValue?: string;
  boolValue?: boolean;
  /** Signed. */
  intValue?: Int64;
  doubleValue?: number;
}

export interface IAnalyticsEvent {
  name: string;
  /** Unsigned; zero when the sender left it out. */
  timeUnixNano: Int64;
  /** A map field: an own object, empty when absent. */
  props: Record<string, IPropValue>;
  url: string;
  userId: string;
  anonymousId: string;
}

export interface IIngestEventsRequest {
  events: IAnalyticsEvent[];
}

export interface IRejectedItem {
  index: number;
  message: string;
}

export interface IIngestEventsResponse {
  accepted: number;
  rejected: number;
  errors: IRejectedItem[];
  message: string;
}

export interface IIdentity {
  anonymousId: string;
  userId: string;
  traits: Record<string, IPropValue>;
  timeUnixNano: Int64;
}

export interface IIdentifyRequest {
  identities: IIdentity[];
}

export interface IIdentifyResponse {
  accepted: number;
  rejected: number;
  errors: IRejectedItem[];
  message: string;
}
