import { useEffect, useRef, useState } from 'preact/hooks';
import { navigate } from '../app/router';

/** The searchbox in the bar: searches as the person types (after a short pause), on the search screen. */
export function SearchBox({ initial }: { initial: string }) {
  const [q, setQ] = useState(initial);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => setQ(initial), [initial]);

  const go = (value: string, now = false) => {
    clearTimeout(timer.current);
    const run = () => {
      const onSearch = location.pathname === '/search';
      if (!value.trim() && !onSearch) return;
      navigate(`/search?${new URLSearchParams({ q: value })}`, { replace: onSearch });
    };
    if (now) run();
    else timer.current = setTimeout(run, 250);
  };

  return (
    // biome-ignore lint/a11y/useSemanticElements: <search> is too new for some screen readers; the role is what they know.
    <form
      role="search"
      class="search"
      onSubmit={(event) => {
        event.preventDefault();
        go(q, true);
      }}
    >
      <input
        type="search"
        aria-label="Search"
        placeholder="Search documents"
        value={q}
        onInput={(event) => {
          setQ(event.currentTarget.value);
          go(event.currentTarget.value);
        }}
      />
    </form>
  );
}
