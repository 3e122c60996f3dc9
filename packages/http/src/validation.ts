import type { z } from 'zod';
import { AppError } from './app-error';
import type { FieldProblem } from './error-body';

/** Validates a request part; a failure is a 400 whose body names every offending field. */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown, where = 'body'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems: FieldProblem[] = result.error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    // An unknown key is named as the field itself, so a misspelt field is pointed at directly.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: [...path, key].join('.'), message: 'unknown field' }));
    return [{ field: path.join('.') || where, message: issue.message }];
  });
  const first = problems[0];
  const summary = first ? `${first.field}: ${first.message}` : 'invalid request';
  throw new AppError(400, 'validation_failed', `invalid ${where}: ${summary}`, { fields: problems });
}
