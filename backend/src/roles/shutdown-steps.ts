import type { Logger } from 'pino';

/**
 * What a starting role must undo, most recent first: each part adds its stop
 * once it has started, so a role that fails half-way stops only what started,
 * and a running one stops receivers before the database they write to.
 */
export class ShutdownSteps {
  readonly #logger: Logger;
  readonly #steps: Array<() => Promise<void>> = [];

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Adds a step, to run before every step added earlier. */
  add(step: () => Promise<void>): void {
    this.#steps.unshift(step);
  }

  /** Runs the steps in order; a failing step is logged and the rest still run. Steps run once. */
  async run(): Promise<void> {
    for (const step of this.#steps.splice(0)) {
      try {
        await step();
      } catch (error) {
        this.#logger.error({ err: error }, 'shutdown step failed');
      }
    }
  }
}
