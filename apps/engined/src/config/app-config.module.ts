import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_CONFIG, type AppConfig } from './app-config.js';
import { type Env, validateEnv } from './env.validation.js';

/** Where the settings come from. The defaults are what `main.ts` uses. */
export interface ConfigSource {
  /** Values that win over `.env` and `process.env` (tests pass ports and switches here). */
  env?: Env;
  /** Read `process.env`. Default true; tests turn it off to stay hermetic. */
  useProcessEnv?: boolean;
  /** The `.env` file to read, or false for none. Default `.env` in the working directory. */
  envFile?: string | false;
}

/** The key under which the typed config sits in `ConfigService` (an object, so Nest never copies it into process.env). */
const CONFIG_KEY = 'engined';

/**
 * Global module providing {@link APP_CONFIG}. `forRoot` validates the environment through
 * `@nestjs/config`'s `validate` hook and returns the config too, since the logger must be
 * chosen before the application exists.
 *
 * @throws ConfigValidationError before any provider is created.
 */
@Global()
@Module({})
export class AppConfigModule {
  static async forRoot(source: ConfigSource = {}): Promise<{ module: DynamicModule; config: AppConfig }> {
    let config: AppConfig | undefined;
    const configModule = await ConfigModule.forRoot({
      ignoreEnvFile: source.envFile === false,
      envFilePath: source.envFile || undefined,
      validatePredefined: source.useProcessEnv !== false,
      validate: (env) => {
        config = validateEnv({ ...(env as Env), ...source.env });
        return { [CONFIG_KEY]: config };
      },
    });
    if (config === undefined) throw new Error('ConfigModule did not run the validate function');
    return {
      config,
      module: {
        module: AppConfigModule,
        imports: [configModule],
        providers: [
          {
            provide: APP_CONFIG,
            useFactory: (configService: ConfigService) => configService.getOrThrow<AppConfig>(CONFIG_KEY),
            inject: [ConfigService],
          },
        ],
        exports: [APP_CONFIG],
      },
    };
  }
}
