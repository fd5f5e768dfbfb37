'use strict';

// serverless.yml variable source: the comma-separated `allowedOrigins` stage param as the list CORS settings take.
module.exports.list = async ({ options, resolveVariable }) => {
  const origins = String(await resolveVariable('param:allowedOrigins'))
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (origins.length === 0) {
    throw new Error(
      `ALLOWED_ORIGINS must name the web app origin(s) for stage ${options.stage ?? '(default)'}`,
    );
  }
  return origins;
};
