import type { DefinitionStates } from '../dataflow-types.js';

/** States that may be held elsewhere too (`shared`), or a new map. */
export interface SharedStates {
  map: DefinitionStates;
  shared: boolean;
}

/**
 * The definition states one visit works on. The reference copies its states dict on every
 * call and returns the updated copy, which the caller adopts; here a visit updates the
 * caller's holder in place instead, and the map is copied only before the first write to a
 * map that is shared (after `fork`). Only the if-statement rule needs the states from before a
 * child was visited, and it forks them.
 */
export class Scope {
  constructor(
    public map: DefinitionStates,
    private owned: boolean,
  ) {}

  static empty(): Scope {
    return new Scope(new Map(), true);
  }

  get(name: string): readonly number[] | undefined {
    return this.map.get(name);
  }

  define(name: string, indices: readonly number[]): void {
    if (!this.owned) {
      this.map = new Map(this.map);
      this.owned = true;
    }
    this.map.set(name, indices);
  }

  /** Adopts `states`; a map that others may still hold is copied before the next write. */
  replace(states: SharedStates): void {
    this.map = states.map;
    this.owned = !states.shared;
  }

  /** A second holder of the same states; both copy before writing from now on. */
  fork(): Scope {
    this.owned = false;
    return new Scope(this.map, false);
  }
}
