/**
 * A one-line description of an error for logs: the innermost cause's message and code. Query errors from the ORM
 * embed the SQL parameters — client message bodies — in their own message, so that outer message is never logged.
 */
export function describeError(err: unknown): string {
  let e = err as { message?: string; code?: unknown; cause?: unknown } | undefined;
  for (let i = 0; e?.cause && i < 5; i++) e = e.cause as typeof e;
  const msg = e?.message ?? String(err);
  const firstLine = msg.startsWith('Failed query:') ? 'query failed' : msg.split('\n')[0];
  return typeof e?.code === 'string' ? `${firstLine} (${e.code})` : firstLine;
}
