import { readFileSync } from 'node:fs';
import { validate } from '@readme/openapi-parser';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { handler as openApiHandler } from '../../functions/openapi.js';
import { openApiDocument } from '../../lib/api/openapi.js';
import { HTTP_ROUTES, ROUTE_KEYS, ROUTES_BY_KEY } from '../../lib/api/routes.js';
import { renderArtifacts } from '../../scripts/openapi-artifacts.js';
import { call } from '../helpers/api.js';
import { assertDocumentedResponse } from '../helpers/openapi.js';

const document = openApiDocument() as Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

/** "METHOD /path" for every httpApi event of serverless.yml, by function (the /api catch-all aside). */
function serverlessRoutes(): Record<string, string[]> {
  const config = parse(readFileSync('serverless.yml', 'utf8')) as { functions: Record<string, any> };
  const routes: Record<string, string[]> = {};
  for (const [name, fn] of Object.entries(config.functions)) {
    for (const event of fn.events ?? []) {
      if (!event.httpApi || event.httpApi.path === '/api/{proxy+}') continue;
      routes[name] = [...(routes[name] ?? []), `${event.httpApi.method} ${event.httpApi.path}`];
    }
  }
  return routes;
}

describe('the OpenAPI document', () => {
  it('describes every route serverless.yml serves, and only those', () => {
    const served = serverlessRoutes();
    // Per function, in any order: serverless.yml lists a function's events as its author likes.
    const sorted = (routes: Record<string, readonly string[]>) =>
      Object.fromEntries(Object.entries(routes).map(([fn, keys]) => [fn, [...keys].sort()]));
    expect(sorted(served)).toEqual(sorted(HTTP_ROUTES));
    const described = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, item]) =>
        Object.keys(item)
          .filter((key) => METHODS.includes(key))
          .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(described.sort()).toEqual(Object.values(served).flat().sort());
  });

  it('is valid OpenAPI 3.1 for @readme/openapi-parser', async () => {
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(document.openapi).toBe('3.1.0');
  });

  it('describes every path parameter and both bearer schemes, and exempts only itself from them', () => {
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes.apiKey).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'kite API key' }),
    );
    expect(document.security).toEqual([{ bearerAuth: [] }, { apiKey: [] }]);
    for (const key of ROUTE_KEYS) {
      const [method = '', path = ''] = key.split(' ');
      const operation = document.paths[path][method.toLowerCase()];
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(
        operation.parameters?.filter((p: any) => p.in === 'path').map((p: any) => p.name) ?? [],
        key,
      ).toEqual(names);
      const { scope } = ROUTES_BY_KEY.get(key) ?? {};
      expect(operation.security, key).toEqual(
        key === 'GET /api/openapi.json'
          ? []
          : scope === 'session'
            ? [{ bearerAuth: [] }]
            : [{ bearerAuth: [] }, { apiKey: scope === 'any' ? [] : [scope] }],
      );
      expect(operation['x-kite-scope'], key).toBe(scope);
      if (key !== 'GET /api/openapi.json') expect(Object.keys(operation.responses), key).toContain('401');
    }
  });

  it('has an example per operation that matches its own schemas', () => {
    const ajv = new Ajv2020({ allErrors: true });
    addFormats(ajv);
    ajv.addKeyword('components');
    ajv.addSchema({ $id: 'https://kite.invalid/openapi.json', components: document.components });
    for (const key of ROUTE_KEYS) {
      const [method = '', path = ''] = key.split(' ');
      const operation = document.paths[path][method.toLowerCase()];
      const body = operation.requestBody?.content['application/json'];
      if (body) {
        expect(body.example, key).toBeDefined();
        const check = ajv.compile({ $ref: `https://kite.invalid/openapi.json${body.schema.$ref}` });
        expect(check(body.example), `${key} request example: ${ajv.errorsText(check.errors)}`).toBe(true);
        // ...and the zod schema that validates the request accepts it too.
        expect(ROUTES_BY_KEY.get(key)?.body?.schema.safeParse(body.example).success, key).toBe(true);
      }
      for (const [status, response] of Object.entries(operation.responses as Record<string, any>)) {
        const content = response.content?.['application/json'];
        if (!content) continue;
        expect(content.example, `${key} ${status}`).toBeDefined();
        assertDocumentedResponse(key, `${key} example`, Number(status), content.example);
      }
    }
  });

  it('lists the error codes of each route', () => {
    const responses = (key: string) => {
      const [method = '', path = ''] = key.split(' ');
      return document.paths[path][method.toLowerCase()].responses;
    };
    const codes = (key: string, status: number) =>
      document.components.schemas[
        responses(key)[status].content['application/json'].schema.$ref.split('/').pop()
      ].properties.error.properties.code.enum;
    expect(codes('POST /api/documents/upload-url', 413)).toEqual(['file_too_large', 'quota_exceeded']);
    expect(codes('POST /api/documents/upload-url', 415)).toEqual(['unsupported_media_type']);
    expect(codes('POST /api/documents/{id}/confirm', 409)).toEqual(['upload_missing']);
    expect(codes('PATCH /api/topics/{id}', 403)).toEqual(['forbidden']);
    expect(codes('GET /api/admin/users', 403)).toEqual(['forbidden']);
    expect(codes('GET /api/documents', 403)).toEqual(['forbidden']);
    expect(codes('POST /api/keys', 403)).toEqual(['forbidden']);
    expect(codes('GET /api/me', 503)).toEqual(['unavailable']);
    expect(Object.keys(responses('GET /api/me'))).not.toContain('403');
  });

  it('shows query integers as integers with their range and default', () => {
    const limit = document.paths['/api/documents'].get.parameters.find((p: any) => p.name === 'limit');
    expect(limit).toEqual({
      name: 'limit',
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    });
  });

  it('is served without a token, and its function bundles no database client', async () => {
    const result = await call(openApiHandler, {});
    expect(result.status).toBe(200);
    expect(result.body).toEqual(document);
    const bundle = await build({
      entryPoints: ['functions/openapi.ts'],
      bundle: true,
      platform: 'node',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(
      inputs.filter((file) => /node_modules\/(pg|kysely|jose|@aws-sdk)\/|lib\/platform\/db\//.test(file)),
    ).toEqual([]);
  });

  it('is committed as generated: openapi.json and the client types are up to date (npm run openapi)', async () => {
    for (const { file, text } of await renderArtifacts()) {
      expect(readFileSync(file, 'utf8') === text, `${file} is stale: run npm run openapi`).toBe(true);
    }
  });
});
