import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ADMIN_ACCESS_METADATA, ADMIN_ACTOR_PROPERTY } from './admin.constants.js';

/**
 * Who may call an admin route: `public` routes need no token (the dashboard page, which holds no data);
 * `read` routes may be public (`publicReads`); everything else needs a token.
 */
export type AdminAccess = 'public' | 'read' | 'write';

/** Marks an admin route served without a token: only for routes that return no data. */
export const AdminPublic = (): MethodDecorator => SetMetadata(ADMIN_ACCESS_METADATA, 'public' satisfies AdminAccess);

/** Marks a read-only admin route (served without a token when `publicReads` is on). */
export const AdminRead = (): MethodDecorator => SetMetadata(ADMIN_ACCESS_METADATA, 'read' satisfies AdminAccess);

/** Marks a mutating admin route: always behind the token. Also the default of an unmarked route. */
export const AdminWrite = (): MethodDecorator => SetMetadata(ADMIN_ACCESS_METADATA, 'write' satisfies AdminAccess);

/** The authenticated actor of the request (the token's label, or `operator`), set by `AdminAuthGuard`. */
export const AdminActor = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined => {
  const request = context.switchToHttp().getRequest<Record<string, unknown>>();
  return request[ADMIN_ACTOR_PROPERTY] as string | undefined;
});
