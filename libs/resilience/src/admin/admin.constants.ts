// Tokens and metadata keys of the admin module. This file imports nothing, so any file may import it without cycles.

/** Injection token of the raw `ResilienceAdminModule` options (as given to `forRoot` / returned by `forRootAsync`'s factory). */
export const ADMIN_MODULE_OPTIONS = 'RESILIENCE_ADMIN:MODULE_OPTIONS';
/** Injection token of the validated, defaulted admin options. */
export const ADMIN_OPTIONS = 'RESILIENCE_ADMIN:OPTIONS';
/** Injection token of the mount (on/off and prefix) fixed when the module was defined. */
export const ADMIN_MOUNT = 'RESILIENCE_ADMIN:MOUNT';
/** Metadata key on an admin route handler: `'read'` or `'write'` (see `AdminAuthGuard`). */
export const ADMIN_ACCESS_METADATA = 'engined:admin-access';
/** Request property the guard sets to the authenticated actor (the token's label, or `operator`). */
export const ADMIN_ACTOR_PROPERTY = 'engined:admin-actor';
