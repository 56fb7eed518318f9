import { type CanActivate, type ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { AdminAccess } from './admin-access.decorator.js';
import { ADMIN_ACCESS_METADATA, ADMIN_ACTOR_PROPERTY, ADMIN_OPTIONS } from './admin.constants.js';
import type { ResolvedAdminOptions } from './admin-options.interface.js';
import { checkBearer } from './bearer-token.js';

/**
 * Bearer-token check of every admin route: no token (or another scheme) → 401 with
 * `WWW-Authenticate: Bearer`; a token that matches none → 403; read routes pass without a token when
 * `publicReads` is on, public routes (the dashboard page) always. The token is compared in constant time and never logged or echoed. Sets the
 * request's actor (the matching token's label) for `@AdminActor()`.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    @Inject(ADMIN_OPTIONS) private readonly options: ResolvedAdminOptions,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const access = this.reflector.get<AdminAccess | undefined>(ADMIN_ACCESS_METADATA, context.getHandler()) ?? 'write';
    if (access === 'public' || (access === 'read' && this.options.publicReads)) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<{ headers: Record<string, string | string[] | undefined> } & Record<string, unknown>>();
    const header = request.headers.authorization;
    const check = checkBearer(typeof header === 'string' ? header : undefined, this.options.tokens);
    if (check.kind === 'missing') {
      this.adapterHost.httpAdapter.setHeader(http.getResponse(), 'WWW-Authenticate', 'Bearer realm="resilience"');
      throw new UnauthorizedException({
        statusCode: 401,
        error: 'Unauthorized',
        code: 'UNAUTHORIZED',
        message: 'This route needs a bearer token: Authorization: Bearer <token>',
      });
    }
    if (check.kind === 'refused') {
      throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', code: 'FORBIDDEN', message: 'The bearer token is not accepted' });
    }
    request[ADMIN_ACTOR_PROPERTY] = check.actor;
    return true;
  }
}
