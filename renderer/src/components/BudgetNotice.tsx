import type { BudgetDecision } from '../../../native/contract';

/** What the energy-aware controller changed before this run, and why (the reasons in full on hover). */
export function BudgetNotice({ budget }: { budget: BudgetDecision | null | undefined }) {
  if (!budget) return null;
  return (
    <p className="budget-notice" role="status" data-testid="budget-notice" title={budget.reasons.join('\n')}>
      <span className="budget-notice-label">Energy budget</span> {budget.summary}
      <span className="visually-hidden"> — {budget.reasons.join('; ')}</span>
    </p>
  );
}
