import { describe, it } from 'vitest';
import { cephInstalled } from '../../local/ceph.js';
import { describeNpmStart } from './npm-start-spec.js';

if (cephInstalled()) {
  describeNpmStart('ceph');
} else {
  describe('npm start (KITE_S3=ceph)', () => {
    it.skip('needs radosgw ceph-mon ceph-osd installed (README "Which S3 the tests use")', () => {});
  });
}
