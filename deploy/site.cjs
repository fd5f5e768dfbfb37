'use strict';

// serverless.yml variable sources for the site CloudFront serves (docs/deploy.md "The web app on AWS"): the deep-link
// rewrite and the Content-Security-Policy, written here once so tests can run the one and read the other.

/**
 * The CloudFront Function (viewer request, cloudfront-js-2.0) of the site's default behaviour: a path whose last
 * segment has no dot (`/`, `/documents/42`, `/auth/callback`) is a screen of the app, so it gets `/index.html`; a
 * file (`/assets/index-3f2a.js`, `/config.json`) is served as it is. A missing file stays a 403 from S3, and
 * `/api/*` never runs this: it is another behaviour. Never CustomErrorResponses, which would also answer the API's
 * 403s and 404s with index.html (docs/deploy.md "The web app on AWS").
 */
function handler(event) {
  var request = event.request;
  var last = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) request.uri = '/index.html';
  return request;
}

module.exports.deepLinkHandler = handler;
module.exports.deepLinkCode = () => handler.toString();

/**
 * The site's Content-Security-Policy, given the documents bucket's origin (presigned PUTs and GETs: uploads,
 * thumbnails, previews) and the sign-in provider's origins (discovery, JWKS and token endpoints; the sign-in page
 * itself is a navigation, which CSP does not restrict). Nothing inline, nothing from elsewhere, no framing.
 */
function contentSecurityPolicy({ bucket, oidc }) {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: blob: ${bucket}`,
    `connect-src 'self' ${bucket} ${oidc}`,
    `frame-src ${bucket}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    'upgrade-insecure-requests',
  ].join('; ');
}

module.exports.contentSecurityPolicy = contentSecurityPolicy;

const originOf = (name, url) => {
  try {
    return new URL(url).origin;
  } catch {
    throw new Error(`${name} must be a URL, not ${JSON.stringify(url)}`);
  }
};

/**
 * A deployer's own OpenID provider (JWKS_URL set, so the stack creates no user pool): the origins the app talks to,
 * from JWT_ISSUER, JWKS_URL, WEB_OIDC_AUTHORITY and WEB_OIDC_ORIGINS (for a token endpoint on another host).
 */
function ownProviderOrigins(env) {
  const origins = new Set();
  for (const name of ['JWT_ISSUER', 'JWKS_URL', 'WEB_OIDC_AUTHORITY']) {
    if (env[name]) origins.add(originOf(name, env[name]));
  }
  for (const url of (env.WEB_OIDC_ORIGINS ?? '').split(',').map((s) => s.trim())) {
    if (url) origins.add(originOf('WEB_OIDC_ORIGINS', url));
  }
  return [...origins].join(' ');
}

module.exports.ownProviderOrigins = ownProviderOrigins;

/**
 * The policy as a CloudFormation value: the bucket by reference, and the user pool's issuer and hosted UI domain
 * when the stack creates the pool (condition CreateUserPool), else the deployer's provider.
 */
/** A CloudFormation Fn::Sub placeholder. */
const ref = (name) => `\${${name}}`;

module.exports.csp = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  // On the local stage (npm start) HS256 with an issuer is fine, and this resource is never created.
  if (stage !== 'local' && process.env.JWT_ISSUER && !process.env.JWKS_URL) {
    throw new Error(
      'JWT_ISSUER is set without JWKS_URL: set both to use your own OpenID provider, or neither',
    );
  }
  const domainPrefix = `${await resolveVariable('self:service')}-${stage}`;
  return {
    'Fn::Sub': [
      contentSecurityPolicy({
        bucket: `https://${ref('DocumentsBucket')}.s3.${ref('AWS::Region')}.amazonaws.com`,
        oidc: ref('OidcOrigins'),
      }),
      {
        OidcOrigins: {
          'Fn::If': [
            'CreateUserPool',
            {
              'Fn::Sub': [
                `https://cognito-idp.${ref('AWS::Region')}.amazonaws.com`,
                `https://${domainPrefix}-${ref('AWS::AccountId')}.auth.${ref('AWS::Region')}.amazoncognito.com`,
              ].join(' '),
            },
            ownProviderOrigins(process.env),
          ],
        },
      },
    ],
  };
};
