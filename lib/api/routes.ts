import * as z from 'zod/mini';
import { documentRoutes } from '../documents/documents.contract.js';
import { editRoutes } from '../documents/edits.contract.js';
import { keyRoutes } from '../keys/keys.contract.js';
import { defineRoute, type RouteDeclaration, routeKey } from '../platform/route.js';
import { searchRoutes } from '../search/search.contract.js';
import { adminTopicRoutes, topicRoutes } from '../topics/topics.contract.js';
import { trashRoutes } from '../trash/trash.contract.js';
import { confirmRoutes, multipartRoutes, uploadUrlRoutes } from '../uploads/uploads.contract.js';
import { adminUserRoutes, meRoutes } from '../users/users.contract.js';

/** The `openapi` function's route: the document that describes the rest, served without a token. */
export const openApiRoutes = {
  getOpenApi: defineRoute({
    method: 'GET',
    path: '/api/openapi.json',
    function: 'openapi',
    operationId: 'getOpenApi',
    tag: 'meta',
    auth: false,
    summary: 'This document',
    success: {
      status: 200,
      description: 'The OpenAPI 3.1 document',
      schema: z.record(z.string(), z.unknown()),
      example: { openapi: '3.1.0', info: { title: 'kite', version: '1' }, paths: {} },
    },
  }),
};

/**
 * Every HTTP route kite serves, as the features declare them (README "Layout"), in the OpenAPI document's order:
 * the one list serverless.yml's `httpApi` events, the routers and the OpenAPI document are checked against. The
 * `/api/{proxy+}` catch-all 404 is not a route of the API and is not listed.
 */
export const ROUTES: readonly RouteDeclaration[] = [
  uploadUrlRoutes,
  confirmRoutes,
  multipartRoutes,
  documentRoutes,
  editRoutes,
  trashRoutes,
  topicRoutes,
  adminTopicRoutes,
  adminUserRoutes,
  searchRoutes,
  meRoutes,
  keyRoutes,
  openApiRoutes,
].flatMap((group) => Object.values(group) as RouteDeclaration[]);

/** Route keys ("METHOD /path/{param}", as API Gateway writes them), in ROUTES' order. */
export const ROUTE_KEYS: readonly string[] = ROUTES.map(routeKey);

/** The route keys each function (a Lambda of serverless.yml) serves. */
export const HTTP_ROUTES: Readonly<Record<string, readonly string[]>> = ROUTES.reduce<
  Record<string, string[]>
>((byFunction, route) => {
  byFunction[route.function] ??= [];
  byFunction[route.function]?.push(routeKey(route));
  return byFunction;
}, {});

/** A route's declaration by its key. */
export const ROUTES_BY_KEY: ReadonlyMap<string, RouteDeclaration> = new Map(
  ROUTES.map((r) => [routeKey(r), r]),
);
