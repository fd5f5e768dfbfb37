import { useEffect, useRef } from 'preact/hooks';

/** Calls `refresh` every `everyMs` while `active` (live status: docs/web.md "Screens"); stops when the tab is hidden. */
export function usePolling(active: boolean, refresh: () => void, everyMs = 2000): void {
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') latest.current();
    }, everyMs);
    return () => clearInterval(timer);
  }, [active, everyMs]);
}
