import { describe, expect, it } from 'vitest';
import { ObjectsNotDeletedError } from './aws/storage.js';
import { DeadlineExceededError } from './deadline.js';
import { isDependencyFailure } from './errors.js';

const withCode = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('isDependencyFailure: what answers 503 unavailable (a retry may succeed)', () => {
  it('a Postgres serialization failure or deadlock rolled the transaction back: retryable', () => {
    expect(isDependencyFailure(withCode('40001'))).toBe(true);
    expect(isDependencyFailure(withCode('40P01'))).toBe(true);
  });

  it('lost connections, shutdowns, too many clients and a cancelled statement are retryable', () => {
    for (const code of ['08006', '57P01', '53300', '57014', 'ECONNRESET', 'ECONNREFUSED']) {
      expect(isDependencyFailure(withCode(code)), code).toBe(true);
    }
    expect(isDependencyFailure(new DeadlineExceededError())).toBe(true);
  });

  it('an S3 or SQS server fault is retryable, found through a wrapping error too', () => {
    const s3 = Object.assign(new Error('InternalError'), {
      $fault: 'server',
      $metadata: { httpStatusCode: 500 },
    });
    expect(isDependencyFailure(s3)).toBe(true);
    expect(isDependencyFailure(new Error('wrapped', { cause: s3 }))).toBe(true);
  });

  it('S3 refusing keys of a DeleteObjects it answered is retryable: the DELETE has changed nothing yet', () => {
    expect(
      isDependencyFailure(new ObjectsNotDeletedError([{ key: 'users/u/k', code: 'InternalError' }])),
    ).toBe(true);
  });

  it('throttling is retryable though SQS calls it a client fault, as the AWS SDK itself retries it', () => {
    for (const name of ['RequestThrottled', 'KmsThrottled', 'SlowDown', 'ThrottlingException']) {
      const throttled = Object.assign(new Error(name), {
        name,
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      });
      expect(isDependencyFailure(throttled), name).toBe(true);
    }
    const tooMany = Object.assign(new Error('x'), { $fault: 'client', $metadata: { httpStatusCode: 429 } });
    expect(isDependencyFailure(tooMany)).toBe(true);
  });

  it('a constraint violation, a syntax error, a client fault or a plain bug is not', () => {
    for (const code of ['23505', '23503', '42601', '22P02']) {
      expect(isDependencyFailure(withCode(code)), code).toBe(false);
    }
    const clientFault = Object.assign(new Error('AccessDenied'), {
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
    });
    expect(isDependencyFailure(clientFault)).toBe(false);
    expect(isDependencyFailure(new TypeError('x is undefined'))).toBe(false);
    expect(isDependencyFailure('not an error')).toBe(false);
  });
});
