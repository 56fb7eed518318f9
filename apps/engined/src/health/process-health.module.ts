import { Module } from '@nestjs/common';
import { ProcessHealth } from './process.health.js';

/** Event-loop delay and heap as health components (liveness). */
@Module({ providers: [ProcessHealth] })
export class ProcessHealthModule {}
