import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { NotFoundError } from '../lib/errors.js';
import { errorResponse } from '../lib/http.js';

/** Any /api path no other function serves (e.g. the retired /api/settings): the contract's 404, no auth needed. */
export const handler = async (event: APIGatewayProxyEventV2) =>
  errorResponse(
    new NotFoundError(
      `No route for ${event.requestContext?.http?.method ?? ''} ${event.rawPath ?? ''}`.trim(),
    ),
  );
