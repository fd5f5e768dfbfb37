import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { handler as classifyHandler } from '../../functions/classify.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { type ClassifyConsumer, startClassifyConsumer } from '../../local/classify-consumer.js';
import { EMULATOR_CREDENTIALS } from '../../local/emulators.js';
import { lambdaContext } from '../helpers/api.js';
import { type FaultProxy, startFaultProxy, targetOf, throughProxy } from '../helpers/fault-proxy.js';
import { confirm, putBytes, requestUpload } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

/*
 * `npm start`'s classify consumer (local/classify-consumer.ts) against the suite's SQS emulator, behind a fault
 * proxy, invoking the real classify function through a Lambda invoke endpoint shaped like serverless-offline's.
 * This file has queues of its own (visibility 2 s, dead-lettered after 3 receives) and confirms send to them.
 */
const sqsUrl = inject('testEnv').AWS_ENDPOINT_URL_SQS ?? '';
const region = 'us-east-1';
const { queues, queueName, fake } = await vi.hoisted(async () => {
  const { inject } = await import('vitest');
  const { randomUUID } = await import('node:crypto');
  const { createClassifyQueues } = await import('../../local/emulators.js');
  const { useFakeLlm } = await import('../helpers/fake-llm.js');
  const queueName = `kite-consumer-${randomUUID().slice(0, 8)}`;
  const queues = await createClassifyQueues({
    endpoint: inject('testEnv').AWS_ENDPOINT_URL_SQS ?? '',
    region: 'us-east-1',
    name: queueName,
    maxReceiveCount: 3,
    // Longer than the consumer's 1 s long poll: local-aws-sqs keeps filling a long poll, and a message whose
    // visibility ran out meanwhile would come twice in one batch.
    visibilityTimeoutSeconds: 2,
  });
  // Confirm's message (for the extract stage) comes to this queue too: classify reads a document the extract stage
  // has not seen as it did before that stage existed, which is all this file needs.
  const fake = await useFakeLlm({ CLASSIFY_QUEUE_URL: queues.queueUrl, EXTRACT_QUEUE_URL: queues.queueUrl });
  return { queues, queueName, fake };
});
let proxy: FaultProxy;
let invoke: Server;
let invokeUrl: string;
const invocations: SQSEvent[] = [];
const sqs = new SQSClient({ region, endpoint: sqsUrl, credentials: EMULATOR_CREDENTIALS });

beforeAll(async () => {
  proxy = await startFaultProxy(targetOf(sqsUrl));
  // What serverless-offline's POST /2015-03-31/functions/<name>/invocations does: run the handler, answer its
  // result, or a 200 with X-Amz-Function-Error when it threw.
  invoke = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SQSEvent;
    invocations.push(event);
    try {
      const result = await classifyHandler(event, lambdaContext('kite-local-classify'));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    } catch (error) {
      res
        .writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' })
        .end(JSON.stringify({ errorMessage: (error as Error).message, errorType: 'Error' }));
    }
  });
  await new Promise<void>((resolve) => invoke.listen(0, '127.0.0.1', resolve));
  invokeUrl = `http://127.0.0.1:${(invoke.address() as AddressInfo).port}/2015-03-31/functions/kite-local-classify/invocations`;
});

afterAll(async () => {
  invoke.closeAllConnections();
  await new Promise((resolve) => invoke.close(resolve));
  await proxy.close();
  sqs.destroy();
  await closeDb();
});

beforeEach(() => {
  fake.reset();
  invocations.length = 0;
  proxy.setMode('pass');
});

function consumer(log: string[], concurrency = 2, waitTimeSeconds = 1): ClassifyConsumer {
  return startClassifyConsumer({
    queueUrl: throughProxy(queues.queueUrl, proxy),
    queueArn: `arn:aws:sqs:${region}:000000000000:${queueName}`,
    region,
    endpoint: proxy.url,
    credentials: EMULATOR_CREDENTIALS,
    invokeUrl,
    batchSize: 10,
    concurrency,
    invocationTimeoutMs: 60_000,
    waitTimeSeconds,
    log: (line) => log.push(line),
  });
}

async function confirmedDocument(token: string, filename: string): Promise<string> {
  const ticket = await requestUpload(token, { filename, size: 5 });
  await putBytes(ticket, 'hello');
  expect((await confirm(token, ticket.document.id)).status).toBe(200);
  return ticket.document.id;
}

async function status(id: string) {
  return db().selectFrom('documents').select(['status', 'error']).where('id', '=', id).executeTakeFirst();
}

async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not true after ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const filedUnder = (name: string) => JSON.stringify({ topics: [], newTopics: [name] });

describe('the local classify consumer', () => {
  it('honours batchItemFailures: the failed record is redelivered until it fails, the other is done once', async () => {
    const { token } = await newUser({ label: 'consumer' });
    const good = await confirmedDocument(token, `good-${randomUUID()}.txt`);
    const bad = await confirmedDocument(token, `bad-${randomUUID()}.txt`);
    fake.respondWith((request) =>
      JSON.stringify(request.messages).includes('bad-') ? 'this is not JSON' : filedUnder('Greetings'),
    );
    const log: string[] = [];

    const running = consumer(log, 1);
    try {
      await eventually(async () => (await status(bad))?.status === 'failed', 'the bad document failed');
    } finally {
      await running.stop();
    }

    expect((await status(good))?.status).toBe('classified');
    expect(await status(bad)).toEqual({ status: 'failed', error: expect.stringMatching(/JSON/i) });
    // Both records came in one batch, and only the failed one came back: twice more, then the DLQ.
    expect(invocations[0]?.Records.map((record) => JSON.parse(record.body).documentId).sort()).toEqual(
      [good, bad].sort(),
    );
    const redelivered = invocations.slice(1).flatMap((event) => event.Records);
    expect(redelivered.map((record) => JSON.parse(record.body).documentId)).toEqual([bad, bad]);
    expect(redelivered.map((record) => record.attributes.ApproximateReceiveCount)).toEqual(['2', '3']);
    await eventually(async () => {
      const dead = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queues.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      return (dead.Messages ?? []).some((message) => JSON.parse(message.Body ?? '{}').documentId === bad);
    }, 'the bad message is in the dead-letter queue');
  });

  it('runs several invocations at once: one slow model call does not hold up the others', async () => {
    const { token } = await newUser({ label: 'consumer' });
    fake.respondWith((request) =>
      JSON.stringify(request.messages).includes('slow-')
        ? { content: filedUnder('Slow'), delayMs: 15_000 }
        : filedUnder('Quick'),
    );
    const log: string[] = [];
    const running = consumer(log, 2);
    try {
      const slow = await confirmedDocument(token, `slow-${randomUUID()}.txt`);
      await eventually(() => fake.requests.length > 0, 'the slow document reached the model');
      const quick = await confirmedDocument(token, `quick-${randomUUID()}.txt`);

      await eventually(
        async () => (await status(quick))?.status === 'classified',
        'the quick one is classified',
      );
      expect((await status(slow))?.status).toBe('uploaded');
    } finally {
      await running.stop();
    }
  });

  it('survives its queue: resets, 503s and hangs are logged and retried with backoff, then it carries on', async () => {
    const { token } = await newUser({ label: 'consumer' });
    fake.respondWith(() => filedUnder('After the storm'));
    const log: string[] = [];
    const failures = () => log.filter((line) => line.includes('polling failed'));
    const running = consumer(log, 1);
    try {
      for (const fault of ['reset', 'http503', 'hang'] as const) {
        const before = failures().length;
        proxy.setMode(fault);
        await eventually(() => failures().length > before, `a failed poll while SQS does ${fault}`);
      }
      proxy.setMode('pass');
      const id = await confirmedDocument(token, `after-${randomUUID()}.txt`);
      await eventually(
        async () => (await status(id))?.status === 'classified',
        'classified once SQS is back',
        60_000,
      );
    } finally {
      await running.stop();
    }
    const delays = failures().map((line) => Number(/retrying in (\d+) ms/.exec(line)?.[1]));
    expect(delays.slice(0, 3)).toEqual([500, 1000, 2000]);
    expect(log).toContainEqual(expect.stringContaining('queue reachable again'));
  });

  // Last: the emulator keeps the aborted long polls open until their wait ends, and they would take the next
  // test's messages.
  it('stops quietly: the long polls its stop aborts are not logged as queue failures', async () => {
    const log: string[] = [];
    const before = proxy.connections();
    const running = consumer(log, 3, 10);
    await eventually(() => proxy.connections() >= before + 3, 'the three pollers are waiting on SQS');
    await new Promise((resolve) => setTimeout(resolve, 300));

    await running.stop();
    // The aborted polls fail just after the stop resolves.
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(log).toEqual([]);
  });
});
