import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { type Client, credentials, loadPackageDefinition, Metadata, type ServiceClientConstructor, type ServiceError, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { checkHealth, createHealthClient, listHealth } from '../grpc/grpc-health.client.js';
import { defaultOf } from '../../../shared/src/config/env.schema.js';
import { PROTO_LOADER_OPTIONS, protoPath } from '../../../shared/src/grpc/proto-path.js';
import { recordsRetryChannelOptions } from '../../../shared/src/grpc/retry-service-config.js';
import { ADMIN_COMMANDS, ADMIN_USAGE, AdminRequestError, AdminUsageError, runAdminCommand } from './admin-commands.js';

/** Where the CLI writes, the environment it reads (ENGINED_ADDR, ENGINED_HTTP, ADMIN_TOKEN), and what stops `events --follow`. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C: `events --follow` then ends with exit code 0. */
  signal?: AbortSignal;
}

export const USAGE = `usage: npm run client -- <command> [options]

commands:
  create --name <name> [--payload <json object>] [--request-id <id>]
                                                   store a record; the request id (default: a new
                                                   random UUID) makes the CLI's retries safe
  get <id>                                         show a record
  list [--page-size <n>] [--page-token <token>]    one page of records
  delete <id>                                      delete a record
  enrich <id>                                      a record plus a quote from the downstream
  health [service]                                 grpc.health.v1 Check ("" = overall; liveness, readiness, startup, a component)
  health --list                                    grpc.health.v1 List

options:
  --addr <host:port>    the daemon's gRPC address (default $ENGINED_ADDR, else 127.0.0.1:9003)
  --timeout <ms>        deadline of the call, retries included (default 5000); a call answered
                        UNAVAILABLE is retried (grpc-js retry policy, the server's pushback obeyed)

${ADMIN_USAGE}`;

type Unary = (request: unknown, metadata: Metadata, options: { deadline: number }, callback: (e: ServiceError | null, r?: unknown) => void) => void;

class UsageError extends Error {}

/**
 * The bundled CLI: plain grpc-js and proto-loader against `engined.v1.RecordService` and
 * `grpc.health.v1.Health`. Prints JSON on success; `CODE: message` on error.
 * Returns the exit code: 0 ok, 1 the call failed, 2 bad usage.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        payload: { type: 'string' },
        'request-id': { type: 'string' },
        'page-size': { type: 'string' },
        'page-token': { type: 'string' },
        list: { type: 'boolean' },
        addr: { type: 'string' },
        http: { type: 'string' },
        token: { type: 'string' },
        reason: { type: 'string' },
        since: { type: 'string' },
        follow: { type: 'boolean', short: 'f' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    io.out(USAGE);
    return values.help || command === 'help' ? 0 : 2;
  }
  const target = values.addr ?? io.env.ENGINED_ADDR ?? defaultOf('ENGINED_ADDR');
  const timeoutMs = values.timeout === undefined ? 5_000 : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    io.err('--timeout must be a positive integer (milliseconds)');
    return 2;
  }

  try {
    if (ADMIN_COMMANDS.has(command)) {
      const adminTarget = { baseUrl: (values.http ?? io.env.ENGINED_HTTP ?? defaultOf('ENGINED_HTTP')).replace(/\/+$/, ''), token: values.token ?? io.env.ADMIN_TOKEN, timeoutMs };
      const result = await runAdminCommand(command, rest, values, adminTarget, io.out, io.signal);
      if (result !== undefined) io.out(JSON.stringify(result, null, 2));
      return 0;
    }
    const result = await dispatch(command, rest, values, target, timeoutMs);
    io.out(JSON.stringify(result, null, 2));
    return 0;
  } catch (error) {
    if (error instanceof AdminRequestError) {
      io.err(error.message);
      return 1;
    }
    if (error instanceof UsageError || error instanceof AdminUsageError) {
      io.err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    const e = error as Partial<ServiceError>;
    io.err(typeof e.code === 'number' ? `${status[e.code] ?? e.code}: ${e.details || e.message}` : String(error));
    return 1;
  }
}

async function dispatch(
  command: string,
  args: string[],
  values: Record<string, string | boolean | undefined>,
  target: string,
  timeoutMs: number,
): Promise<unknown> {
  if (command === 'health') {
    const client = createHealthClient(target);
    try {
      if (values.list) return { statuses: await listHealth(client, timeoutMs) };
      const service = args[0] ?? '';
      return { service, status: await checkHealth(client, service, timeoutMs) };
    } finally {
      client.close();
    }
  }
  const request = recordRequest(command, args, values);
  const client = recordsClient(target);
  try {
    const fn = (client as unknown as Record<string, Unary>)[request.method]!.bind(client);
    return await new Promise((resolve, reject) => {
      fn(request.body, new Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => (error ? reject(error) : resolve(response)));
    });
  } finally {
    client.close();
  }
}

function recordRequest(command: string, args: string[], values: Record<string, string | boolean | undefined>): { method: string; body: object } {
  const id = (): string => {
    if (args[0] === undefined) throw new UsageError(`${command} needs a record id`);
    return args[0];
  };
  switch (command) {
    case 'create':
      if (typeof values.name !== 'string') throw new UsageError('create needs --name');
      if (values['request-id'] === '') throw new UsageError('--request-id must not be empty');
      return {
        method: 'CreateRecord',
        body: { name: values.name, payload: values.payload ?? '', requestId: values['request-id'] ?? randomUUID() },
      };
    case 'get':
      return { method: 'GetRecord', body: { id: id() } };
    case 'delete':
      return { method: 'DeleteRecord', body: { id: id() } };
    case 'enrich':
      return { method: 'EnrichRecord', body: { id: id() } };
    case 'list': {
      const size = values['page-size'] === undefined ? 0 : Number(values['page-size']);
      if (!Number.isInteger(size)) throw new UsageError('--page-size must be an integer');
      return { method: 'ListRecords', body: { pageSize: size, pageToken: values['page-token'] ?? '' } };
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function recordsClient(target: string): Client {
  const pkg = loadPackageDefinition(loadSync(protoPath('engined/v1/records.proto'), PROTO_LOADER_OPTIONS));
  const Ctor = (pkg.engined as Record<string, Record<string, ServiceClientConstructor>>).v1!.RecordService!;
  // Retries are safe: reads are idempotent, every create carries a request id, and a delete retried after a lost
  // answer changes nothing (it says NOT_FOUND).
  return new Ctor(target, credentials.createInsecure(), recordsRetryChannelOptions());
}
