// The visit dimensions of the analytics API (Plausible's names) and the
// sessions column each reads: one list for the query, funnels and rollups.

export const visitColumns = {
  'visit:entry_page': 'entry_page',
  'visit:exit_page': 'exit_page',
  'visit:source': 'referrer_source',
  'visit:referrer': 'referrer',
  'visit:channel': 'channel',
  'visit:utm_source': 'utm_source',
  'visit:utm_medium': 'utm_medium',
  'visit:utm_campaign': 'utm_campaign',
  'visit:utm_term': 'utm_term',
  'visit:utm_content': 'utm_content',
  'visit:device': 'device',
  'visit:browser': 'browser',
  'visit:browser_version': 'browser_version',
  'visit:os': 'os',
  'visit:os_version': 'os_version',
  'visit:country': 'country',
  'visit:region': 'region',
  'visit:city': 'city',
  'visit:hostname': 'hostname',
} as const;

export type VisitDimension = keyof typeof visitColumns;
