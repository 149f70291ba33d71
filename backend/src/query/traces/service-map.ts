import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { TimeRange } from '../time-range.ts';
import type { ConnectionType, NodeType } from './service-map-calls.ts';
import { serviceMapEdges, type ServiceMapEdge } from './service-map-edges.ts';
import type { RedStats } from './red-read.ts';
import { serviceRed } from './service-red.ts';

/**
 * A service, with its RED from its own spans, or a virtual node (a database,
 * cache, queue or host that sends no spans), with the calls into it and no
 * latency (its callers' latencies are on the edges).
 */
export interface ServiceMapNode extends Omit<RedStats, 'spanCount' | 'errorSpanCount'> {
  /** `TYPE:NAME`, what edges refer to: a service and a virtual node of one name stay apart. */
  id: string;
  name: string;
  type: NodeType;
}

export interface ServiceMapLink {
  /** Node ids. */
  source: string;
  target: string;
  connectionType: ConnectionType;
  callCount: number;
  errorCount: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface ServiceMap {
  nodes: ServiceMapNode[];
  edges: ServiceMapLink[];
}

export function nodeId(type: NodeType, name: string): string {
  return `${type}:${name}`;
}

/**
 * The services of one site that sent spans in the range, with their RED, the
 * databases, caches, queues and external hosts they called, and the edges
 * between them (serviceMapEdges). Nodes by type then name.
 */
export async function serviceMap(db: Kysely<Database>, siteId: string, range: TimeRange): Promise<ServiceMap> {
  const [red, edges] = await Promise.all([serviceRed(db, siteId, range), serviceMapEdges(db, siteId, range)]);
  const seconds = (range.end.getTime() - range.start.getTime()) / 1000;
  const nodes = new Map<string, ServiceMapNode>();
  for (const service of red) {
    const { name, requestCount, requestRate, errorCount, errorRate, p50, p95, p99 } = service;
    nodes.set(nodeId('service', name), { id: nodeId('service', name), name, type: 'service', requestCount, requestRate, errorCount, errorRate, p50, p95, p99 });
  }
  const node = (name: string, type: NodeType): ServiceMapNode => {
    const id = nodeId(type, name);
    let found = nodes.get(id);
    if (found === undefined) {
      // Virtual nodes, and a service serviceRed does not list (a caller whose span started just before the range).
      found = { id, name, type, requestCount: 0, requestRate: 0, errorCount: 0, errorRate: 0, p50: null, p95: null, p99: null };
      nodes.set(id, found);
    }
    return found;
  };
  const links = edges.map((edge: ServiceMapEdge): ServiceMapLink => {
    const source = node(edge.source, 'service');
    const target = node(edge.target, edge.targetType);
    if (target.type !== 'service') {
      target.requestCount += edge.callCount;
      target.errorCount += edge.errorCount;
      target.requestRate = target.requestCount / seconds;
      target.errorRate = target.errorCount / target.requestCount;
    }
    const { connectionType, callCount, errorCount, p50, p95, p99 } = edge;
    return { source: source.id, target: target.id, connectionType, callCount, errorCount, p50, p95, p99 };
  });
  const order: readonly NodeType[] = ['service', 'database', 'cache', 'queue', 'external'];
  const sorted = [...nodes.values()].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { nodes: sorted, edges: links };
}
