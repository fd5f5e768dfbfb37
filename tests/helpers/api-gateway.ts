/** What API Gateway's HTTP API hands a function about the route it matched (docs/api.md "API"). */
export interface MatchedRoute {
  /** "METHOD /path/{param}" as serverless.yml declares it, or the catch-all's key when nothing matched. */
  routeKey: string;
  pathParameters?: Record<string, string>;
}

/**
 * What API Gateway does before it invokes a function: match the method and path against the route keys and pass
 * the matched key and the decoded path parameters. kite's routers dispatch on exactly these, so the tests build
 * events the way API Gateway (and serverless-offline) do. An unmatched `/api` path goes to the `/api/{proxy+}`
 * catch-all, as on AWS.
 */
export function matchRoute(routeKeys: readonly string[], method: string, path: string): MatchedRoute {
  for (const key of routeKeys) {
    const [keyMethod, template = ''] = key.split(' ');
    if (keyMethod !== method) continue;
    const names = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
    const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '([^/]+)');
    const match = new RegExp(`^${pattern}$`).exec(path);
    if (!match) continue;
    return {
      routeKey: key,
      pathParameters: Object.fromEntries(names.map((name, i) => [name, decodeOrRaw(match[i + 1] ?? '')])),
    };
  }
  if (path.startsWith('/api/'))
    return { routeKey: 'ANY /api/{proxy+}', pathParameters: { proxy: path.slice(5) } };
  return { routeKey: '$default' };
}

/** A malformed %-escape reaches the function as it was sent; it names nothing the handler can find. */
function decodeOrRaw(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
