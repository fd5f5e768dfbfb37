import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { cloudFrontInvalidator, deployWeb, readStackOutputs } from '../deploy/web.js';

/**
 * `npm run deploy:web [-- --stage prod] [--region r] [--dist web/dist]`, after `npx serverless deploy`: puts the
 * built web app on the stack's CloudFront URL and prints it (docs/deploy.md "Deploy to AWS").
 */
const { values } = parseArgs({
  options: {
    stage: { type: 'string', default: 'prod' },
    region: { type: 'string' },
    dist: { type: 'string', default: 'web/dist' },
  },
});
const stage = values.stage ?? 'prod';
const region = values.region ?? process.env.AWS_REGION ?? 'us-east-1';

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const outputs = await readStackOutputs(`kite-${stage}`, region);
  const s3 = new S3Client({ region, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const { url } = await deployWeb({
    dist: values.dist ?? 'web/dist',
    s3,
    outputs,
    invalidate: cloudFrontInvalidator(),
    log: (line) => console.log(line),
  });
  s3.destroy();
  console.log(`\nkite is at ${url}`);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
