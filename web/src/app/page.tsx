import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

let firstScreen = true;

/** A screen: its heading gets focus on navigation (screen readers announce it) and names the tab. */
export function Page({ title, children }: { title: string; children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · kite`;
  }, [title]);
  useEffect(() => {
    // Only when moving between screens (not on the first load), and never away from a field being typed in.
    const typing = document.activeElement instanceof HTMLInputElement;
    if (!firstScreen && !typing) heading.current?.focus();
    firstScreen = false;
  }, []);
  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1} ref={heading}>
          {title}
        </h1>
      </div>
      {children}
    </>
  );
}
