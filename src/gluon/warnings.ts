/**
 * Where Gluon's user warnings go ("already initialized, ignoring..."). By default to
 * `console.warn`; tests and applications can redirect them with `setWarningHandler`.
 */
export type WarningHandler = (message: string) => void;

const defaultHandler: WarningHandler = (message) => console.warn(`Warning: ${message}`);
let handler: WarningHandler = defaultHandler;

/**
 * Redirects tsgluon's warnings; `null` restores the default (console.warn). Returns the
 * previous handler.
 * @example
 * const seen: string[] = [];
 * gluon.setWarningHandler((m) => seen.push(m));
 */
export function setWarningHandler(fn: WarningHandler | null): WarningHandler {
  const prev = handler;
  handler = fn ?? defaultHandler;
  return prev;
}

/** Emits a warning through the current handler. */
export function warn(message: string): void {
  handler(message);
}
