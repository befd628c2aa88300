import type { DeliveryPolicy } from './effects';
import type { Clock, Logger, Store } from './ports';

/** What every core operation runs with; built once in the composition root. */
export interface Core {
  store: Store;
  clock: Clock;
  log: Logger;
  delivery: DeliveryPolicy;
}
