/**
 * The order service's GET /orders, which the load tool follows its sagas with, is an operator
 * endpoint: it asks for the service's OPERATOR_TOKEN, which the tool reads from its own
 * environment.
 */
export function operatorHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** For a 401 or 404 from GET /orders, what to do about OPERATOR_TOKEN; undefined for any other answer. */
export function operatorTokenProblem(status: number, token: string | undefined): string | undefined {
  const asked = `GET /orders (the operator endpoint npm run load follows its sagas with) answered ${status}`;
  if (status === 404)
    return `${asked}: the order service's operator endpoints are off; start the stack with OPERATOR_TOKEN set, and run npm run load with the same OPERATOR_TOKEN`;
  if (status === 401 && !token) return `${asked}: OPERATOR_TOKEN must be set to the order service's operator token`;
  if (status === 401) return `${asked}: OPERATOR_TOKEN is not the order service's operator token`;
  return undefined;
}
