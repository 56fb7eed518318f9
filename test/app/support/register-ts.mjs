// `node --import ./test/app/support/register-ts.mjs apps/engined/src/main.ts`: see ts-hooks.mjs.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
