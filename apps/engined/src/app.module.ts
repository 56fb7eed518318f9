import { Module } from '@nestjs/common';
import { ResilienceModule } from '@engined/resilience';

@Module({ imports: [ResilienceModule] })
export class AppModule {}
