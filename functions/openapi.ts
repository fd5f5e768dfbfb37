import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { openApiDocument } from '../lib/api/openapi.js';

let body: string | undefined;

/**
 * GET /api/openapi.json — the API described (docs/api.md "Describing the API"). No auth and no database: the document
 * is built from the zod schemas on the first request and kept for the instance.
 */
export const handler = async (): Promise<APIGatewayProxyStructuredResultV2> => {
  body ??= JSON.stringify(openApiDocument());
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
    body,
  };
};
