/** Budgets a second: how many frames of a kind a peer (or an origin) may have this node take or hand on. */

/** Frames counted in the current second, and which second that is. */
export interface Budget {
  second: number;
  count: number;
}

/** Counts one frame against a budget for the current second (`now` in ms): false when the budget is spent. */
export function withinBudget(now: number, budget: Budget, max: number): boolean {
  const second = Math.floor(now / 1000);
  if (budget.second !== second) {
    budget.second = second;
    budget.count = 0;
  }
  return ++budget.count <= max;
}

/**
 * Counts one frame against `who`'s budget in `budgets`, a new one when it has none (the map is
 * cleared first when it holds `kept` budgets already, so that made-up names cannot grow it).
 */
export function spend(budgets: Map<string, Budget>, who: string, now: number, max: number, kept: number): boolean {
  let budget = budgets.get(who);
  if (!budget) {
    if (budgets.size >= kept) budgets.clear();
    budget = { second: 0, count: 0 };
    budgets.set(who, budget);
  }
  return withinBudget(now, budget, max);
}
