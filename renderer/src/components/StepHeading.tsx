import { useEffect, useRef, type ReactNode } from 'react';

/**
 * The heading of one ceremony step. It takes the focus when the step appears, so a keyboard user
 * (and a screen reader) starts at the new step and the page is scrolled to it.
 */
export function StepHeading({ id, children }: { id: string; children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <h3 id={id} ref={ref} tabIndex={-1}>
      {children}
    </h3>
  );
}
