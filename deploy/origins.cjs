'use strict';

// serverless.yml variable sources for CORS (docs/deploy.md "CORS"). The web app is served from the API's own origin
// (CloudFront sends /api/* to the HTTP API), so the API needs CORS only for the other origins ALLOWED_ORIGINS names;
// the documents bucket is another origin for every browser, the site's included.

/** The comma-separated `allowedOrigins` stage param (ALLOWED_ORIGINS; `*` on the local stage), as a list. */
async function allowedOrigins(resolveVariable) {
  return String(await resolveVariable('param:allowedOrigins'))
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
}

/** The origin of every CloudFront distribution's default domain (see `bucket`). */
const CLOUDFRONT_ORIGINS = 'https://*.cloudfront.net';

module.exports.list = async ({ resolveVariable }) => allowedOrigins(resolveVariable);

/** The HTTP API's CORS: none when no other origin calls it (the site is same-origin). */
module.exports.apiCors = async ({ resolveVariable }) => {
  const origins = await allowedOrigins(resolveVariable);
  if (origins.length === 0) return false;
  return {
    allowedOrigins: origins,
    // If-Match and the ETag it echoes: PATCH's optimistic concurrency (docs/api.md "Editing documents, bulk actions
    // and the trash") from another origin.
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match'],
    exposedResponseHeaders: ['ETag'],
    allowedMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
    maxAge: 3600,
  };
};

/**
 * The documents bucket's CORS origins on AWS: the site's distribution plus ALLOWED_ORIGINS. The distribution's own
 * domain cannot be named here: the site's Content-Security-Policy names this bucket, the distribution carries that
 * policy, and naming the distribution in this bucket would close the loop (CloudFormation refuses circular
 * references). So the rule allows CloudFront's default domains. This is no access control to give up: the bucket
 * is private and every request needs a presigned URL, which carries no browser credentials (docs/deploy.md "CORS").
 */
module.exports.bucket = async ({ resolveVariable }) => [
  CLOUDFRONT_ORIGINS,
  ...(await allowedOrigins(resolveVariable)).filter((origin) => origin !== CLOUDFRONT_ORIGINS),
];
