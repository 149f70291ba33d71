import { goalLabel, InvalidGoalError, isStorableText, parseGoalDefinition, type GoalDefinition } from './goals-match.ts';
import { InvalidVisitFilterError, parseVisitFilters, type VisitFilter } from './funnels-visit-filters.ts';

// A funnel: ordered steps (each a goal: a page pattern or a custom event),
// the window in which a visitor must complete them, and visit filters.

export type FunnelStep = GoalDefinition & { label?: string };

export interface FunnelDefinition {
  steps: FunnelStep[];
  /** How long after the first step the last may come: "30m", "2h", "1d" (minutes, hours, days). */
  window: string;
  filters: VisitFilter[];
}

export const MIN_FUNNEL_STEPS = 2;
export const MAX_FUNNEL_STEPS = 8;
export const DEFAULT_FUNNEL_WINDOW = '1d';
/** The longest window: a funnel over a year of events is a cohort question, not a funnel. */
export const MAX_FUNNEL_WINDOW_MS = 90 * 86_400_000;
const MAX_LABEL_LENGTH = 256;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

export class InvalidFunnelError extends Error {}

/** A funnel definition from untrusted JSON (steps, window?, filters?). */
export function parseFunnelDefinition(value: { steps?: unknown; window?: unknown; filters?: unknown }): FunnelDefinition {
  const { steps, window = DEFAULT_FUNNEL_WINDOW, filters } = value;
  if (!Array.isArray(steps) || steps.length < MIN_FUNNEL_STEPS || steps.length > MAX_FUNNEL_STEPS) {
    throw new InvalidFunnelError(`a funnel needs ${MIN_FUNNEL_STEPS} to ${MAX_FUNNEL_STEPS} steps`);
  }
  if (typeof window !== 'string') throw new InvalidFunnelError('window must be a string like "30m", "2h" or "1d"');
  windowMs(window);
  try {
    const parsed = steps.map((step: unknown, i): FunnelStep => {
      const goal = parseGoalDefinition(step, `steps[${i}]`);
      const label = (step as { label?: unknown }).label;
      if (label === undefined) return goal;
      if (typeof label !== 'string' || label.length > MAX_LABEL_LENGTH || !isStorableText(label)) {
        throw new InvalidFunnelError(`steps[${i}].label must be a string of at most ${MAX_LABEL_LENGTH} characters`);
      }
      return { ...goal, label };
    });
    return { steps: parsed, window, filters: parseVisitFilters(filters) };
  } catch (error) {
    if (error instanceof InvalidGoalError || error instanceof InvalidVisitFilterError) throw new InvalidFunnelError(error.message);
    throw error;
  }
}

/** The window in milliseconds; throws InvalidFunnelError when malformed, zero or over 90 days. */
export function windowMs(window: string): number {
  const match = /^([1-9]\d{0,5})([mhd])$/.exec(window);
  const ms = match === null ? NaN : Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  if (!(ms <= MAX_FUNNEL_WINDOW_MS)) throw new InvalidFunnelError('window must be minutes, hours or days ("30m", "2h", "1d"), at most 90 days');
  return ms;
}

export function stepLabel(step: FunnelStep): string {
  return step.label ?? goalLabel(step);
}
