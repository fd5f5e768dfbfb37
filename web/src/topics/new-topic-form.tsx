import { useState } from 'preact/hooks';

export interface NewTopic {
  name: string;
  description?: string;
}

/**
 * A name and an optional description, then a button: a person's own topic on the topics screen, a system topic on
 * the admin screen. `create` sends it; the fields clear once it succeeds (a refused name stays to be corrected).
 */
export function NewTopicForm({
  nameLabel,
  submitLabel,
  act,
  create,
}: {
  nameLabel: string;
  submitLabel: string;
  act: (work: () => Promise<unknown>) => Promise<void>;
  create: (topic: NewTopic) => Promise<unknown>;
}) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  return (
    <form
      class="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        void act(async () => {
          await create({ name, ...(description ? { description } : {}) });
          setName('');
          setDescription('');
        });
      }}
    >
      <label>
        {nameLabel} <input value={name} required onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        Description <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <button type="submit">{submitLabel}</button>
    </form>
  );
}
