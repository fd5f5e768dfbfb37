import { ApiProblem } from './api';

/** An error in words, with the request id to quote when it came from the API. Announced to screen readers. */
export function Problem({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const requestId = error instanceof ApiProblem ? error.requestId : null;
  return (
    <p role="alert" class="problem">
      {message}
      {requestId ? <span class="request-id"> (request id {requestId})</span> : null}
    </p>
  );
}
