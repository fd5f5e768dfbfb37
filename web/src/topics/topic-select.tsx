import type { Topic } from '../api/api';

/** A labelled choice of one topic, the first option (value "") meaning none chosen. */
export function TopicSelect({
  label,
  empty,
  topics,
  value,
  onChange,
}: {
  label: string;
  empty: string;
  topics: Topic[];
  value: string;
  onChange: (topicId: string) => void;
}) {
  return (
    <label>
      {label}{' '}
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">{empty}</option>
        {topics.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
    </label>
  );
}
