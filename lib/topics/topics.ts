import { db } from '../platform/db/client.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../platform/errors.js';
import type { CreateTopicBody, UpdateTopicBody } from './topics.contract.js';
import { type TopicView, topicView } from './topics.contract.js';
import {
  deleteTopicInNamespace,
  findTopic,
  insertTopic,
  type TopicChanges,
  type TopicOwner,
  type TopicWrite,
  topicsOf,
  updateTopicInNamespace,
  visibleTopics,
} from './topics.queries.js';

/**
 * Topics live in namespaces: a user's own (`owner` = their id, through /api/topics) or the system's (`owner` =
 * null, through /api/admin/topics). Each route only ever writes its own namespace.
 */

/** GET /api/topics: system ∪ own, an own topic overriding the system topic of the same name. */
export async function listVisibleTopics(userId: string): Promise<TopicView[]> {
  return (await visibleTopics(db(), userId)).map(topicView);
}

/** GET /api/admin/topics: the system namespace only. */
export async function listSystemTopics(): Promise<TopicView[]> {
  return (await topicsOf(db(), null)).map(topicView);
}

export async function createTopic(owner: TopicOwner, body: CreateTopicBody): Promise<TopicView> {
  const write = await insertTopic(db(), { owner, name: body.name, description: body.description ?? null });
  return written(write);
}

export async function updateTopic(owner: TopicOwner, id: string, body: UpdateTopicBody): Promise<TopicView> {
  const changes: TopicChanges = {};
  if (body.name !== undefined) changes.name = body.name;
  if (body.description !== undefined) changes.description = body.description;
  const write = await updateTopicInNamespace(db(), owner, id, changes);
  if (!write) return notInNamespace(owner, id);
  return written(write);
}

export async function deleteTopic(owner: TopicOwner, id: string): Promise<void> {
  if (!(await deleteTopicInNamespace(db(), owner, id))) await notInNamespace(owner, id);
}

function written(write: TopicWrite): TopicView {
  if (write.kind === 'name_taken') throw new ConflictError('A topic with this name already exists');
  return topicView(write.topic);
}

/**
 * Why a write found nothing: a user addressing a system topic is told it is not theirs to change (403); anything
 * else — no such id, another user's topic, a user topic through the admin routes — is not found, so a topic's
 * existence never leaks across namespaces.
 */
async function notInNamespace(owner: TopicOwner, id: string): Promise<never> {
  if (owner !== null && (await findTopic(db(), id))?.user_id === null) {
    throw new ForbiddenError('System topics are managed by admins');
  }
  throw new NotFoundError('Topic not found');
}
