/**
 * A counter of changes to the structure of any network: parameters shared anew, shapes reset,
 * children registered. A hybridized block's cached graphs record it when traced and trace again
 * once it has moved (Gluon clears its cached graphs on the same events).
 */
let version = 0;

/** The current structure version. */
export function structureVersion(): number {
  return version;
}

/** @internal Records that some network's structure changed: every cached graph is re-traced. */
export function structureChanged(): void {
  version++;
}
