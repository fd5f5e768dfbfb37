/**
 * Every HTTP route kite serves, by the function that serves it: the one list serverless.yml's `httpApi` events,
 * each function's `router()` table and the OpenAPI document are checked against (README "Describing the API").
 * Keys are "METHOD /path/{param}", as API Gateway writes route keys. The `/api/{proxy+}` catch-all 404 is not a
 * route of the API and is not listed.
 */
export const HTTP_ROUTES = {
  'upload-url': ['POST /api/documents/upload-url'],
  confirm: ['POST /api/documents/{id}/confirm'],
  multipart: ['POST /api/documents/multipart', 'POST /api/documents/{id}/multipart/sign'],
  documents: [
    'GET /api/documents',
    'GET /api/documents/{id}',
    'DELETE /api/documents/{id}',
    'POST /api/documents/{id}/classify',
  ],
  topics: ['GET /api/topics', 'POST /api/topics', 'PATCH /api/topics/{id}', 'DELETE /api/topics/{id}'],
  'admin-topics': [
    'GET /api/admin/topics',
    'POST /api/admin/topics',
    'PATCH /api/admin/topics/{id}',
    'DELETE /api/admin/topics/{id}',
  ],
  'admin-users': ['GET /api/admin/users', 'PATCH /api/admin/users/{id}'],
  search: ['GET /api/search'],
  me: ['GET /api/me'],
  openapi: ['GET /api/openapi.json'],
} as const;

export type HttpFunction = keyof typeof HTTP_ROUTES;

/** The route keys one function serves: a router's table is typed `Record<RoutesOf<'documents'>, …>`. */
export type RoutesOf<Fn extends HttpFunction> = (typeof HTTP_ROUTES)[Fn][number];

export type RouteKey = RoutesOf<HttpFunction>;

export const ROUTE_KEYS: readonly RouteKey[] = Object.values(HTTP_ROUTES).flat();
