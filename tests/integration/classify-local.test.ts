import { afterAll, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/classify.js';
import { forgetHeldModels } from '../../lib/classify/local/local.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { lambdaContext } from '../helpers/api.js';
import { sqsEvent, sqsRecord } from '../helpers/sqs-events.js';
import { insertTopic } from '../helpers/topics.js';
import { uploadDocument } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

// The local provider (docs/operations.md "Filing without an LLM"): no model server, the owner's own filed documents decide.
const fake = await vi.hoisted(async () => (await import('../helpers/fake-llm.js')).useFakeLlm());

afterAll(async () => {
  await closeDb();
});

const RECIPES = [
  'Pancakes: whisk flour, milk and eggs, rest the batter, fry in butter until golden. Serve with syrup.',
  'Tomato soup: roast tomatoes with garlic and onion, simmer with stock, blend, season with basil and salt.',
  'Bread: knead flour, water, yeast and salt; let the dough rise, shape a loaf, bake in a hot oven.',
  'Risotto: toast rice in butter with onion, add stock a ladle at a time, stir in parmesan, season with salt.',
];
const TAXES = [
  'Tax return 2025: income from employment, deductions for commuting, the refund is due in July.',
  'Notice of assessment: the tax office assessed your income tax; pay the balance within one month.',
  'Property tax bill: the municipality charges tax on the assessed value of the house, due quarterly.',
  'VAT statement: quarterly value added tax return, input tax deducted, payment to the tax office.',
];

async function localUser() {
  const user = await newUser({ provisioned: true });
  await db().updateTable('users').set({ ai_provider: 'local' }).where('id', '=', user.userId).execute();
  const recipes = await insertTopic(user.userId, 'Recipes');
  const taxes = await insertTopic(user.userId, 'Taxes');
  return { ...user, recipes, taxes };
}

async function classify(documentId: string) {
  const result = await handler(
    sqsEvent(sqsRecord({ body: { documentId } })),
    lambdaContext('kite-test-classify'),
  );
  expect(result.batchItemFailures).toEqual([]);
  return db().selectFrom('documents').selectAll().where('id', '=', documentId).executeTakeFirstOrThrow();
}

async function topicIdsOf(documentId: string) {
  const rows = await db()
    .selectFrom('document_topics')
    .select(['topic_id', 'source'])
    .where('document_id', '=', documentId)
    .execute();
  return rows.map((row) => row.topic_id).sort();
}

/** What a person does in the web app or with PATCH: sets the document's topics by hand (its version + 1). */
async function fileByHand(documentId: string, topicIds: string[]) {
  await db()
    .updateTable('documents')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', documentId)
    .execute();
  await db().deleteFrom('document_topics').where('document_id', '=', documentId).execute();
  await db()
    .insertInto('document_topics')
    .values(topicIds.map((topic_id) => ({ document_id: documentId, topic_id, source: 'user' as const })))
    .execute();
}

/** Uploads and classifies `texts`, then files each under `topicId` by hand: the owner's training set. */
async function fileExamples(token: string, texts: string[], topicId: string) {
  for (const [i, text] of texts.entries()) {
    const id = await uploadDocument(token, text, { filename: `example-${i}.txt`, contentType: 'text/plain' });
    await classify(id);
    await fileByHand(id, [topicId]);
  }
}

describe('the local provider', () => {
  it('with too few filed documents files nothing: classified, no topics, no error, no model server asked', async () => {
    const user = await localUser();
    const id = await uploadDocument(user.token, RECIPES[0] ?? '', { contentType: 'text/plain' });
    const row = await classify(id);
    expect(row.status).toBe('classified');
    expect(row.error).toBeNull();
    expect(await topicIdsOf(id)).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });

  it('files a new document under the topic its owner filed similar ones under', async () => {
    const user = await localUser();
    await fileExamples(user.token, RECIPES.slice(0, 3), user.recipes);
    await fileExamples(user.token, TAXES.slice(0, 3), user.taxes);

    const recipe = await uploadDocument(user.token, RECIPES[3] ?? '', { contentType: 'text/plain' });
    const tax = await uploadDocument(user.token, TAXES[3] ?? '', { contentType: 'text/plain' });
    expect((await classify(recipe)).status).toBe('classified');
    expect(await topicIdsOf(recipe)).toEqual([user.recipes]);
    await classify(tax);
    expect(await topicIdsOf(tax)).toEqual([user.taxes]);
    expect(fake.requests).toHaveLength(0);
  });

  it('gives a document several topics when it fits several', async () => {
    const user = await localUser();
    await fileExamples(user.token, RECIPES.slice(0, 3), user.recipes);
    await fileExamples(user.token, TAXES.slice(0, 3), user.taxes);
    // A long document in two halves, the way a letter with an attachment reads: one part each topic's.
    const both = await uploadDocument(user.token, `${TAXES.join(' ')} ${RECIPES.slice(0, 3).join(' ')}`, {
      contentType: 'text/plain',
    });
    await classify(both);
    expect(await topicIdsOf(both)).toEqual([user.recipes, user.taxes].sort());
  });

  it('learns a correction at once: the next filing follows what the person set', async () => {
    const user = await localUser();
    const other = await insertTopic(user.userId, 'Kitchen');
    await fileExamples(user.token, RECIPES.slice(0, 3), user.recipes);
    await fileExamples(user.token, TAXES.slice(0, 3), user.taxes);
    // The person decides recipes belong under Kitchen: every recipe is refiled by hand.
    const recipeDocs = await db()
      .selectFrom('document_topics')
      .select('document_id')
      .where('topic_id', '=', user.recipes)
      .execute();
    for (const { document_id } of recipeDocs) await fileByHand(document_id, [other]);

    const recipe = await uploadDocument(user.token, RECIPES[3] ?? '', { contentType: 'text/plain' });
    await classify(recipe);
    expect(await topicIdsOf(recipe)).toEqual([other]);
  });

  it("never learns from another user's documents, even under topics of the same names", async () => {
    const teacher = await localUser();
    await fileExamples(teacher.token, RECIPES.slice(0, 3), teacher.recipes);
    await fileExamples(teacher.token, TAXES.slice(0, 3), teacher.taxes);
    const learner = await localUser();

    const recipe = await uploadDocument(learner.token, RECIPES[3] ?? '', { contentType: 'text/plain' });
    const row = await classify(recipe);
    expect(row.status).toBe('classified');
    expect(await topicIdsOf(recipe)).toEqual([]);
  });

  it('does not learn from documents in the trash', async () => {
    const user = await localUser();
    await fileExamples(user.token, RECIPES.slice(0, 3), user.recipes);
    await fileExamples(user.token, TAXES.slice(0, 3), user.taxes);
    await db()
      .updateTable('documents')
      .set({ deleted_at: new Date() })
      .where('user_id', '=', user.userId)
      .execute();

    const recipe = await uploadDocument(user.token, RECIPES[3] ?? '', { contentType: 'text/plain' });
    const row = await classify(recipe);
    expect(row.status).toBe('classified');
    expect(await topicIdsOf(recipe)).toEqual([]);
  });

  it('attaches only topics the owner sees, never inventing one', async () => {
    const user = await localUser();
    await fileExamples(user.token, RECIPES.slice(0, 3), user.recipes);
    await fileExamples(user.token, TAXES.slice(0, 3), user.taxes);
    const before = await db().selectFrom('topics').select('id').where('user_id', '=', user.userId).execute();
    // A topic deleted since it was learnt is no label any more.
    await db().deleteFrom('topics').where('id', '=', user.taxes).execute();
    const tax = await uploadDocument(user.token, TAXES[3] ?? '', { contentType: 'text/plain' });
    await classify(tax);
    expect(await topicIdsOf(tax)).not.toContain(user.taxes);
    const after = await db().selectFrom('topics').select('id').where('user_id', '=', user.userId).execute();
    expect(after).toHaveLength(before.length - 1);
  });
});

describe("the local provider's stored model", () => {
  const storedModel = (userId: string) =>
    db().selectFrom('local_models').selectAll().where('user_id', '=', userId).executeTakeFirst();

  it('is stored per user, read back after a restart, and trained again only when it is stale', async () => {
    const user = await localUser();
    // Twelve documents filed by hand: one more filed by the model is under 10 % more.
    await fileExamples(user.token, [...RECIPES.slice(0, 3), ...RECIPES.slice(0, 3)], user.recipes);
    await fileExamples(user.token, [...TAXES.slice(0, 3), ...TAXES.slice(0, 3)], user.taxes);
    const recipe = await uploadDocument(user.token, RECIPES[3] ?? '', { contentType: 'text/plain' });
    await classify(recipe);
    expect(await topicIdsOf(recipe)).toEqual([user.recipes]);
    const trained = await storedModel(user.userId);
    expect(trained?.documents).toBe(12);

    // A restart: the process forgets its parsed models; the stored one files the next document, as it was.
    forgetHeldModels();
    const tax = await uploadDocument(user.token, TAXES[3] ?? '', { contentType: 'text/plain' });
    await classify(tax);
    expect(await topicIdsOf(tax)).toEqual([user.taxes]);
    expect((await storedModel(user.userId))?.version).toBe(trained?.version);

    // 14 labelled documents against 12 at training: stale, trained again at the next filing.
    const another = await uploadDocument(
      user.token,
      'Scones: rub butter into flour, add milk and salt, bake.',
      {
        contentType: 'text/plain',
      },
    );
    await classify(another);
    expect(await topicIdsOf(another)).toEqual([user.recipes]);
    const grown = await storedModel(user.userId);
    expect(grown?.documents).toBe(14);
    expect(grown?.version).not.toBe(trained?.version);

    // A person's correction makes it stale at once, whatever the count.
    await fileByHand(another, [user.taxes]);
    await classify(await uploadDocument(user.token, RECIPES[1] ?? '', { contentType: 'text/plain' }));
    const corrected = await storedModel(user.userId);
    expect(corrected?.version).not.toBe(grown?.version);
    expect(corrected?.person_fingerprint).not.toBe(grown?.person_fingerprint);
  });

  it('is deleted with its user', async () => {
    const user = await localUser();
    await fileExamples(user.token, RECIPES.slice(0, 3), user.recipes);
    await fileExamples(user.token, TAXES.slice(0, 3), user.taxes);
    await classify(await uploadDocument(user.token, RECIPES[3] ?? '', { contentType: 'text/plain' }));
    expect(await storedModel(user.userId)).toBeDefined();
    await db().deleteFrom('users').where('id', '=', user.userId).execute();
    expect(await storedModel(user.userId)).toBeUndefined();
  });
});

describe('with an LLM, the prompt carries the owner’s corrections', () => {
  async function llmUser() {
    const user = await localUser();
    await db().updateTable('users').set({ ai_provider: 'ollama' }).where('id', '=', user.userId).execute();
    return user;
  }
  const promptOf = (index: number) =>
    fake.requests[index]?.messages.find((m) => m.role === 'user')?.content ?? '';

  it('shows the documents a person filed most recently, with the topics they chose', async () => {
    const user = await llmUser();
    const corrected = await uploadDocument(user.token, RECIPES[0] ?? '', {
      filename: 'grandmas-pancakes.txt',
      contentType: 'text/plain',
    });
    await classify(corrected);
    await fileByHand(corrected, [user.recipes]);
    fake.reset();

    const next = await uploadDocument(user.token, RECIPES[1] ?? '', { contentType: 'text/plain' });
    await classify(next);

    const prompt = promptOf(0);
    expect(prompt).toContain('Filename: grandmas-pancakes.txt');
    expect(prompt).toContain('A person filed it under: ["Recipes"]');
    expect(prompt).toContain('whisk flour, milk and eggs');
  });

  it("never shows another user's corrections", async () => {
    const teacher = await llmUser();
    const corrected = await uploadDocument(teacher.token, TAXES[0] ?? '', {
      filename: 'teachers-secret-tax-return.txt',
      contentType: 'text/plain',
    });
    await classify(corrected);
    await fileByHand(corrected, [teacher.taxes]);
    const learner = await llmUser();
    fake.reset();

    const next = await uploadDocument(learner.token, TAXES[1] ?? '', { contentType: 'text/plain' });
    await classify(next);

    expect(promptOf(0)).not.toContain('teachers-secret-tax-return');
    expect(promptOf(0)).not.toContain('A person filed it under');
  });
});
