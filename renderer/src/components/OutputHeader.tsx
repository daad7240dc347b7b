import type { ReactNode } from 'react';
import { formatLambda } from '../format';

/** The operating point λ chose for the output shown, as a chip: "λ 0.50 student-s · int8 · …". */
export interface PointChip {
  lambda: number;
  /** The point and its predicted quality and cost, in one line. */
  text: string;
  /** The tooltip: the utility terms behind the choice. */
  title: string;
  testId: string;
}

interface Props {
  title: string;
  className?: string;
  /** What λ chose for this output; null when the model ran as set. */
  point: PointChip | null;
  /** Status shown after the chip: progress, finish reason. */
  children?: ReactNode;
  /** Buttons at the far end. */
  actions?: ReactNode;
}

/** The header of an output panel (the story, the image): its title, what λ chose, the run's status and actions. */
export function OutputHeader({ title, className, point, children, actions }: Props) {
  return (
    <header className={className ? `output-header ${className}` : 'output-header'}>
      <h2 className="panel-title">{title}</h2>
      {point && (
        <span className="op-chip" data-testid={point.testId} title={point.title}>
          <span className="op-chip-lambda">λ {formatLambda(point.lambda)}</span>
          {point.text}
        </span>
      )}
      {children}
      <span className="spacer" />
      {actions}
    </header>
  );
}
