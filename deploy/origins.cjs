'use strict';

// serverless.yml variable source: the comma-separated `allowedOrigins` stage param as the list CORS settings take.
module.exports.list = async ({ resolveVariable }) =>
  String(await resolveVariable('param:allowedOrigins'))
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
