export { AppError } from './app-error';
export { serveApiDocs } from './api-docs-routes';
export { createApp, type AppOptions, type HealthCheck } from './create-app';
export type { ErrorBody, ErrorDetails, FieldProblem } from './error-body';
export { listen, type RunningServer } from './http-server';
export {
  errorResponse,
  operatorOperation,
  refusedBody,
  serviceDocument,
  type ApiPaths,
  type OpenApiDocument,
  type ServiceDocumentOptions,
} from './openapi';
export { operatorOnly } from './operator-only';
export { parseRequest } from './validation';
export type { Express, Request, Response } from 'express';
