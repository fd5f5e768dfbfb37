import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { NotFoundError } from '../lib/platform/errors.js';
import { errorResponse } from '../lib/platform/http.js';

/** Any /api path no other function serves (e.g. the retired /api/settings): the contract's 404, no auth needed. */
export const handler = async (event: APIGatewayProxyEventV2, context?: Context) =>
  errorResponse(
    new NotFoundError(
      `No route for ${event.requestContext?.http?.method ?? ''} ${event.rawPath ?? ''}`.trim(),
    ),
    context?.awsRequestId,
  );
