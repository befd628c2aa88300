// A request id on every log line written while handling a request, without passing it through core: the id lives in
// async-local storage for the request's duration, and the service's logger adds it to what is logged.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '../core/ports';

const context = new AsyncLocalStorage<{ reqId: string }>();

export function enterRequest(reqId: string): void {
  context.enterWith({ reqId });
}

/** The logger, with `reqId` added to each line written inside a request. */
export function withRequestIds(log: Logger): Logger {
  const add = (obj: object) => {
    const ctx = context.getStore();
    return ctx ? { reqId: ctx.reqId, ...obj } : obj;
  };
  return {
    debug: (obj, msg) => log.debug(add(obj), msg),
    info: (obj, msg) => log.info(add(obj), msg),
    warn: (obj, msg) => log.warn(add(obj), msg),
    error: (obj, msg) => log.error(add(obj), msg),
  };
}
