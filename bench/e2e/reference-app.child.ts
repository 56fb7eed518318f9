// The reference app of the e2e group: engined.v1.RecordService's GetRecord and CreateRecord as a user
// would write them without the library — a plain Nest 12 gRPC microservice (Transport.GRPC) whose
// controller calls `pg` directly. argv: the database URL, the pool size, the gRPC port.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Controller, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GrpcMethod, type MicroserviceOptions, RpcException, Transport } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import { Pool } from 'pg';
import { childChannel, runChild } from '../child-process.js';
import { PROTO_DIR, PROTO_LOADER_OPTIONS, RECORDS_PROTO, type RecordMessage } from '../grpc/protos.js';

const POOL = 'REFERENCE_POOL';
const COLUMNS = 'seq, id, name, payload, create_time';

interface Row {
  id: string;
  name: string;
  payload: object;
  create_time: Date;
}

function toMessage(row: Row): RecordMessage {
  return { id: row.id, name: row.name, payload: JSON.stringify(row.payload), createTime: row.create_time.toISOString() };
}

@Controller()
class ReferenceRecordsController {
  constructor(@Inject(POOL) private readonly pool: Pool) {}

  @GrpcMethod('RecordService', 'GetRecord')
  async getRecord(request: { id?: string }): Promise<RecordMessage> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM records WHERE id = $1`, [request.id]);
    if (rows[0] === undefined) throw new RpcException({ code: status.NOT_FOUND, message: `record ${request.id} not found` });
    return toMessage(rows[0]);
  }

  @GrpcMethod('RecordService', 'CreateRecord')
  async createRecord(request: { name?: string; payload?: string }): Promise<RecordMessage> {
    const { rows } = await this.pool.query<Row>(`INSERT INTO records (id, name, payload) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`, [
      randomUUID(),
      request.name,
      request.payload || '{}',
    ]);
    return toMessage(rows[0]!);
  }
}

runChild(async () => {
  const [url, poolSize, grpcPort] = process.argv.slice(2) as [string, string, string];
  const pool = new Pool({ connectionString: url, max: Number(poolSize), application_name: 'engined-bench-reference' });
  pool.on('error', () => undefined);

  @Module({ controllers: [ReferenceRecordsController], providers: [{ provide: POOL, useValue: pool }] })
  class ReferenceModule {}

  const app = await NestFactory.createMicroservice<MicroserviceOptions>(ReferenceModule, {
    transport: Transport.GRPC,
    options: {
      url: `127.0.0.1:${grpcPort}`,
      package: 'engined.v1',
      protoPath: RECORDS_PROTO,
      loader: { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_DIR] },
    },
    logger: ['error', 'warn'],
  });
  const channel = childChannel(async () => {
    await app.close();
    await pool.end();
  });
  await app.listen();
  channel.send({ type: 'ready' });
});
