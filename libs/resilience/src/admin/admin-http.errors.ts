import {
  BadRequestException,
  ConflictException,
  HttpException,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { isUnknownCircuitBreakerError } from '../breaker/errors/unknown-circuit-breaker.error.js';
import { isUnknownHealthComponentError } from '../health/errors/unknown-health-component.error.js';
import { isInvalidOperatorCommandError } from './errors/invalid-operator-command.error.js';
import { isOperatorConflictError } from './errors/operator-conflict.error.js';
import { isOverrideStoreUnavailableError } from './errors/override-store-unavailable.error.js';
import { TooManyStreamClientsError } from './event-stream.hub.js';

/** Error codes of admin API answers (the `code` field), so clients tell ours from a router's 404. */
export type AdminErrorCode =
  | 'INVALID_REQUEST'
  | 'UNKNOWN_BREAKER'
  | 'UNKNOWN_COMPONENT'
  | 'NO_HEALTH_MODULE'
  | 'NO_DASHBOARD'
  | 'CONFLICT'
  | 'TOO_MANY_STREAMS'
  | 'OVERRIDE_STORE_UNAVAILABLE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN';

/** 400 naming the field at fault. */
export function invalidRequest(field: string, message: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', code: 'INVALID_REQUEST', field, message: `${field} ${message}` });
}

/** 404 for routes about components when the application has no `HealthModule`. */
export function noHealthModule(): NotFoundException {
  return new NotFoundException({
    statusCode: 404,
    error: 'Not Found',
    code: 'NO_HEALTH_MODULE',
    message: 'This application has no HealthModule, so there are no health components',
  });
}

/** The HTTP answer for an error of the admin services; anything unexpected is rethrown as is. */
export function toHttpException(error: unknown): unknown {
  if (error instanceof HttpException) return error;
  if (isInvalidOperatorCommandError(error)) return invalidRequest(error.field, error.message);
  if (isUnknownCircuitBreakerError(error)) {
    return new NotFoundException({ statusCode: 404, error: 'Not Found', code: 'UNKNOWN_BREAKER', message: error.message });
  }
  if (isUnknownHealthComponentError(error)) {
    return new NotFoundException({ statusCode: 404, error: 'Not Found', code: 'UNKNOWN_COMPONENT', message: error.message });
  }
  if (isOperatorConflictError(error)) return new ConflictException({ statusCode: 409, error: 'Conflict', code: 'CONFLICT', message: error.message });
  if (isOverrideStoreUnavailableError(error)) {
    return new ServiceUnavailableException({ statusCode: 503, error: 'Service Unavailable', code: 'OVERRIDE_STORE_UNAVAILABLE', message: error.message });
  }
  if (error instanceof TooManyStreamClientsError) {
    return new ServiceUnavailableException({ statusCode: 503, error: 'Service Unavailable', code: 'TOO_MANY_STREAMS', message: error.message });
  }
  return error;
}
