import { type Message, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { Consumer } from 'sqs-consumer';

/**
 * `npm start`'s event source for the classify and extract queues (one consumer each), in place of AWS's SQS event source mapping (docs/operations.md "Running locally"): it
 * polls the queue with sqs-consumer and invokes the classify function through serverless-offline's Lambda invoke
 * API with the event AWS would send. Only the records the function did not list in `batchItemFailures` are deleted;
 * the rest come back after the visibility timeout, as on AWS, and the queue's redrive policy dead-letters them.
 * Several pollers run at once (AWS: `maximumConcurrency`), so one slow model call does not hold up the rest. An SQS
 * error, reset or hang is logged and polling resumes with exponential backoff: nothing here can stop the stack.
 */
export interface ClassifyConsumerOptions {
  queueUrl: string;
  queueArn: string;
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** serverless-offline's invoke URL for the classify function. */
  invokeUrl: string;
  /** Records per invocation (the event source's batchSize, at most 10). */
  batchSize: number;
  /** Invocations at once. */
  concurrency: number;
  /** How long an invocation may take before its batch counts as failed: the function's timeout and some. */
  invocationTimeoutMs: number;
  /** Long-poll wait per ReceiveMessage (default 5 s); a poll silent for 2 s beyond it counts as hung. */
  waitTimeSeconds?: number;
  /** The function it feeds, for log lines and errors (default `classify`; `npm start` also runs one for `extract`). */
  name?: string;
  log: (message: string) => void;
}

export interface ClassifyConsumer {
  stop(): Promise<void>;
}

const WAIT_TIME_SECONDS = 5;
const HANG_MS = 2_000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;

export function startClassifyConsumer(options: ClassifyConsumerOptions): ClassifyConsumer {
  const waitTimeSeconds = options.waitTimeSeconds ?? WAIT_TIME_SECONDS;
  const sqs = new SQSClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
    // One attempt per poll: a failed poll is retried by the backoff below, not inside the SDK.
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: 2_000,
      // A long poll answers within its wait time; silence beyond that is a hang.
      requestTimeout: waitTimeSeconds * 1000 + HANG_MS,
      throwOnRequestTimeout: true,
    },
  });
  // Stopping aborts the long polls in flight: those failures are the stop's doing, not the queue's, and go unlogged.
  const state = { stopping: false };
  const consumers = Array.from({ length: options.concurrency }, (_, index) =>
    poller(options, sqs, waitTimeSeconds, index, state),
  );
  for (const consumer of consumers) consumer.start();
  return {
    stop: async () => {
      state.stopping = true;
      await Promise.all(
        consumers.map(
          (consumer) =>
            new Promise<void>((resolve) => {
              if (!consumer.status.isRunning) return resolve();
              consumer.once('stopped', () => resolve());
              consumer.stop({ abort: true });
            }),
        ),
      );
      sqs.destroy();
    },
  };
}

function poller(
  options: ClassifyConsumerOptions,
  sqs: SQSClient,
  waitTimeSeconds: number,
  index: number,
  state: { stopping: boolean },
): Consumer {
  let failures = 0;
  const consumer = Consumer.create({
    queueUrl: options.queueUrl,
    sqs,
    batchSize: options.batchSize,
    waitTimeSeconds,
    // ApproximateReceiveCount (classify's attempt number) only comes back when asked for by these names.
    attributeNames: ['All'],
    messageSystemAttributeNames: ['All'],
    messageAttributeNames: ['All'],
    // Failed records keep their visibility timeout, as on AWS: the retry delay is the queue's.
    terminateVisibilityTimeout: false,
    handleMessageTimeout: options.invocationTimeoutMs,
    handleMessageBatch: (messages) => invokeClassify(options, messages),
  });
  const healthy = () => {
    if (failures === 0) return;
    options.log(`${options.name ?? 'classify'} consumer ${index}: queue reachable again`);
    failures = 0;
    consumer.updateOption('pollingWaitTimeMs', 0);
  };
  consumer.on('empty', healthy);
  consumer.on('message_received', healthy);
  consumer.on('error', (error, messages) => {
    if (messages) {
      // The invocation or the acknowledgement failed: the records come back after their visibility timeout.
      options.log(
        `${options.name ?? 'classify'} consumer ${index}: batch not acknowledged, SQS will redeliver it: ${error.message}`,
      );
      return;
    }
    if (state.stopping) return; // a long poll the stop aborted
    failures++;
    const delay = Math.min(BACKOFF_FIRST_MS * 2 ** (failures - 1), BACKOFF_MAX_MS);
    options.log(
      `${options.name ?? 'classify'} consumer ${index}: polling failed (${error.message}); retrying in ${delay} ms`,
    );
    consumer.updateOption('pollingWaitTimeMs', delay);
  });
  consumer.on('timeout_error', (error) =>
    options.log(`${options.name ?? 'classify'} consumer ${index}: ${error.message}`),
  );
  consumer.on('processing_error', (error) =>
    options.log(`${options.name ?? 'classify'} consumer ${index}: ${error.message}`),
  );
  return consumer;
}

/** The SQS event Lambda's event source mapping would send for these messages. */
export function sqsEventFor(messages: readonly Message[], queueArn: string, region: string): SQSEvent {
  return {
    Records: messages.map((message) => ({
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: message.Attributes?.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp:
          message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: region,
    })),
  };
}

/**
 * Invokes classify and returns the messages to delete: all but its `batchItemFailures`. A function error (every
 * record failed, or the function crashed) acknowledges none.
 */
export async function invokeClassify(
  options: ClassifyConsumerOptions,
  messages: Message[],
): Promise<Message[]> {
  const response = await fetch(options.invokeUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(sqsEventFor(messages, options.queueArn, options.region)),
    signal: AbortSignal.timeout(options.invocationTimeoutMs),
  });
  const payload = await response.text();
  if (!response.ok || response.headers.get('x-amz-function-error')) {
    throw new Error(
      `${options.name ?? 'classify'} failed (HTTP ${response.status}): ${payload.slice(0, 300)}`,
    );
  }
  const result = (payload ? JSON.parse(payload) : {}) as Partial<SQSBatchResponse> | null;
  const failed = new Set((result?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
  return messages.filter((message) => !failed.has(message.MessageId ?? ''));
}
