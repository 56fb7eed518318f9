import { Body, Controller, Get, Header, Headers, HttpCode, Inject, NotFoundException, Param, Post, Query, Res, type Type, UseGuards } from '@nestjs/common';
import { AdminActor, AdminPublic, AdminRead, AdminWrite } from './admin-access.decorator.js';
import { AdminAuthGuard } from './admin-auth.guard.js';
import { noHealthModule, toHttpException } from './admin-http.errors.js';
import { actionReason, parseEventId } from './admin-request.js';
import { ADMIN_OPTIONS } from './admin.constants.js';
import type { BreakerActionName, ComponentActionName, OperatorActionEvent } from './admin.events.js';
import type { ResolvedAdminOptions } from './admin-options.interface.js';
import { type AdminIndex, AdminQueries } from './admin.queries.js';
import type { BreakerView } from './breaker-view.js';
import type { ComponentView } from './component-view.js';
import { DASHBOARD_CSP, renderDashboardPage } from './dashboard/dashboard.page.js';
import { EventLog, type EventPage } from './event-log.js';
import { EventStreamHub, type SseResponse } from './event-stream.hub.js';
import { BREAKER_ACTIONS, type OperatorCommand, OperatorService } from './operator.service.js';

/** What a breaker action answers. */
export interface BreakerActionResult {
  readonly event: OperatorActionEvent;
  readonly breaker: BreakerView;
}

/** What a component action answers. */
export interface ComponentActionResult {
  readonly event: OperatorActionEvent;
  readonly component: ComponentView;
}

/**
 * The admin routes (mounted under the prefix by `adminControllerFor`). Reads build views on request;
 * every action goes through `OperatorService.apply`. Status codes: 200; 400 naming the bad field; 401/403
 * from the guard; 404 for an unknown breaker, component or action (or the dashboard when turned off); 409 when the
 * target cannot take the action; 503 when the stream has its maximum of clients, or the override store cannot
 * record a breaker action.
 */
@UseGuards(AdminAuthGuard)
export class AdminController {
  /** Rendered once: it depends only on the options. */
  private readonly dashboardPage: string | undefined;

  constructor(
    @Inject(ADMIN_OPTIONS) options: ResolvedAdminOptions,
    @Inject(AdminQueries) private readonly queries: AdminQueries,
    @Inject(OperatorService) private readonly operator: OperatorService,
    @Inject(EventLog) private readonly log: EventLog,
    @Inject(EventStreamHub) private readonly hub: EventStreamHub,
  ) {
    this.dashboardPage = options.dashboard ? renderDashboardPage(options) : undefined;
  }

  @Get()
  @AdminRead()
  index(): AdminIndex {
    return this.queries.index();
  }

  @Get('breakers')
  @AdminRead()
  breakers(): { breakers: BreakerView[] } {
    return { breakers: this.queries.allBreakers() };
  }

  @Get('breakers/:name')
  @AdminRead()
  breaker(@Param('name') name: string): BreakerView {
    return translate(() => this.queries.breaker(name));
  }

  @Post('breakers/:name/:action')
  @AdminWrite()
  @HttpCode(200)
  async breakerAction(
    @Param('name') name: string,
    @Param('action') action: string,
    @Body() body: unknown,
    @AdminActor() actor: string,
  ): Promise<BreakerActionResult> {
    if (!(BREAKER_ACTIONS as readonly string[]).includes(action)) {
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        code: 'UNKNOWN_ACTION',
        message: `No breaker action "${action}" (actions: ${BREAKER_ACTIONS.join(', ')})`,
      });
    }
    const reason = actionReason(body) as string;
    const event = await this.act({ breaker: name, action: action as BreakerActionName, reason, actor });
    return { event, breaker: translate(() => this.queries.breaker(name)) };
  }

  @Get('components')
  @AdminRead()
  components(): { components: ComponentView[] } {
    const components = this.queries.allComponents();
    if (components === undefined) throw noHealthModule();
    return { components };
  }

  @Get('components/:name')
  @AdminRead()
  component(@Param('name') name: string): ComponentView {
    this.requireHealth();
    return translate(() => this.queries.component(name));
  }

  @Post('components/:name/check')
  @AdminWrite()
  @HttpCode(200)
  check(@Param('name') name: string, @Body() body: unknown, @AdminActor() actor: string): Promise<ComponentActionResult> {
    return this.componentAction(name, 'check', body, actor);
  }

  @Post('components/:name/heal/reset')
  @AdminWrite()
  @HttpCode(200)
  healReset(@Param('name') name: string, @Body() body: unknown, @AdminActor() actor: string): Promise<ComponentActionResult> {
    return this.componentAction(name, 'heal-reset', body, actor);
  }

  @Get('events')
  @AdminRead()
  events(@Query('since') since: unknown): EventPage {
    return this.log.since(parseEventId(since, 'since'));
  }

  /**
   * Server-sent events: the kept events after `Last-Event-ID` (a reconnecting EventSource sends it) or
   * `?since=`, then live ones; heartbeat comments while idle. Without either, live events only.
   */
  @Get('events/stream')
  @AdminRead()
  stream(@Res() response: unknown, @Query('since') since: unknown, @Headers('last-event-id') lastEventId: unknown): void {
    const afterId = lastEventId !== undefined ? parseEventId(lastEventId, 'Last-Event-ID') : parseEventId(since, 'since');
    translate(() => this.hub.open(rawResponse(response), afterId));
  }

  /**
   * The live dashboard: a self-contained page (inline script and style, allowed by hash in its CSP; nothing
   * fetched but this API). Public: it holds no data, and reads everything with the token typed into it.
   */
  @Get('dashboard')
  @AdminPublic()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', DASHBOARD_CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('X-Frame-Options', 'DENY')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('Cache-Control', 'no-cache')
  dashboard(): string {
    if (this.dashboardPage === undefined) {
      throw new NotFoundException({ statusCode: 404, error: 'Not Found', code: 'NO_DASHBOARD', message: 'The dashboard is turned off (dashboard: false)' });
    }
    return this.dashboardPage;
  }

  private async componentAction(name: string, action: ComponentActionName, body: unknown, actor: string): Promise<ComponentActionResult> {
    this.requireHealth();
    const reason = actionReason(body) as string | undefined;
    const event = await this.act({ component: name, action, reason, actor });
    return { event, component: translate(() => this.queries.component(name)) };
  }

  private async act(command: OperatorCommand): Promise<OperatorActionEvent> {
    try {
      return await this.operator.apply(command);
    } catch (error) {
      throw toHttpException(error);
    }
  }

  private requireHealth(): void {
    if (!this.queries.hasHealth) throw noHealthModule();
  }
}

/** The Node response under the platform's: Express' is one; Fastify's reply is hijacked and its `raw` used. */
function rawResponse(response: unknown): SseResponse {
  const reply = response as { raw?: SseResponse; hijack?: () => void };
  if (reply.raw !== undefined && typeof reply.hijack === 'function') {
    reply.hijack();
    return reply.raw;
  }
  return response as SseResponse;
}

function translate<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toHttpException(error);
  }
}

/** The controller mounted at `path` (a subclass, so each module definition gets its own route metadata). */
export function adminControllerFor(path: string): Type<AdminController> {
  class MountedAdminController extends AdminController {}
  Controller(path)(MountedAdminController);
  return MountedAdminController;
}
