export { AppError } from './app-error';
export { createApp, type AppOptions, type HealthCheck } from './create-app';
export { listen, type RunningServer } from './http-server';
export { operatorOnly } from './operator-only';
export { parseRequest, type FieldProblem } from './validation';
export type { Express, Request, Response } from 'express';
