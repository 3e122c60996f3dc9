export { AppError } from './app-error';
export { createApp, type AppOptions, type HealthCheck } from './create-app';
export { listen, type RunningServer } from './http-server';
export { parseRequest, type FieldProblem } from './validation';
export { Router, type Express, type Request, type Response } from 'express';
