import { ApiProblem } from './api';

/** What a validation error's details say, in words ("name: must be at most 64 characters"). */
function detailWords(details: unknown): string {
  if (!Array.isArray(details)) return '';
  const issues = details
    .filter((d): d is { path?: unknown; message: string } => typeof d?.message === 'string')
    .map((d) => d.message);
  return issues.length ? `: ${issues.join('; ')}` : '';
}

/** An error in words, with the request id to quote when it came from the API. Announced to screen readers. */
export function Problem({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const problem = error instanceof ApiProblem ? error : null;
  return (
    <p role="alert" class="problem">
      {message}
      {problem ? detailWords(problem.details) : null}
      {problem?.requestId ? <span class="request-id"> (request id {problem.requestId})</span> : null}
    </p>
  );
}
