/**
 * The operator token services under test are started with (OPERATOR_TOKEN): a fixed test value,
 * never a real one.
 */
export const TEST_OPERATOR_TOKEN = 'test-operator-token-not-a-secret-0123456789';

/** The headers an operator endpoint (GET /orders, /stock, /payments, ...) asks for. */
export function operatorHeaders(token: string = TEST_OPERATOR_TOKEN): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
