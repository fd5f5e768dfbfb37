import { describe, inject, it } from 'vitest';
import { describeNpmStart } from './npm-start-spec.js';

// `KITE_S3=ceph npm start`, whenever the suite itself runs on radosgw (docs/development.md "Which S3 the tests use").
if (inject('testS3') === 'radosgw') {
  describeNpmStart('ceph');
} else {
  describe('npm start (KITE_S3=ceph)', () => {
    it.skip('runs when the suite runs on radosgw (Ceph installed, KITE_S3 not s3rver)', () => {});
  });
}
