import { z } from 'zod';

const fieldProblem = z.object({
  field: z.string().meta({ description: 'The path of the field (`items.0.quantity`), or the header or request part, to fix.' }),
  message: z.string(),
});
export type FieldProblem = z.output<typeof fieldProblem>;

const errorDetails = z.object({
  fields: z
    .array(fieldProblem)
    .meta({ description: 'Every offending field of a `validation_failed` answer, the first one named in `message`.' }),
});
export type ErrorDetails = z.output<typeof errorDetails>;

/**
 * The JSON body of every error answer of every service (createApp's error handler): one schema,
 * which types the handler's answers and describes them in each service's OpenAPI document.
 */
export const errorBody = z
  .object({
    error: z.object({
      code: z.string().meta({
        description:
          'What went wrong, for programs: `validation_failed`, `invalid_json`, `not_found`, `unauthorized`, `unsupported_media_type`, `body_too_large`, `idempotency_key_reused`, `rate_limited`, `internal`, ...',
      }),
      message: z.string().meta({ description: 'What went wrong, for people; a client error starts with the field or header to fix.' }),
      details: errorDetails.optional(),
    }),
  })
  .meta({
    id: 'Error',
    description: 'The body of every error answer.',
    examples: [
      {
        error: {
          code: 'validation_failed',
          message: 'invalid body: items.0.quantity: Too small: expected number to be >=1',
          details: { fields: [{ field: 'items.0.quantity', message: 'Too small: expected number to be >=1' }] },
        },
      },
    ],
  });
export type ErrorBody = z.output<typeof errorBody>;
