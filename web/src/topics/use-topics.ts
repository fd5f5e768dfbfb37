import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, call, type Topic } from '../api/api';

/** The topics the person sees (system ∪ own), loaded once per screen, with a reload after a change. */
export function useTopics(): {
  topics: Topic[];
  loaded: boolean;
  error: unknown;
  reload: () => Promise<void>;
} {
  const [topics, setTopics] = useState<Topic[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(async () => {
    try {
      setTopics((await call(api.GET('/api/topics'))).topics);
      setLoaded(true);
      setError(null);
    } catch (problem) {
      setError(problem);
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { topics, loaded, error, reload };
}

/** The topic called `name` (case-insensitive), created as the person's own when there is none. */
export async function topicNamed(name: string, topics: Topic[]): Promise<Topic> {
  const wanted = name.trim().replace(/\s+/g, ' ');
  const found = topics.find((t) => t.name.toLowerCase() === wanted.toLowerCase());
  if (found) return found;
  return (await call(api.POST('/api/topics', { body: { name: wanted } }))).topic;
}
