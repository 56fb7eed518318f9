// A process serving Echo on the library's GrpcServer: `node --import test/app/support/register-ts.mjs this-file`.
// ECHO_LIMITS (JSON) sets GrpcServer's limits. Prints "listening on <port>"; SIGTERM closes it.
import 'reflect-metadata';
import { startEchoServer } from './echo-app.js';

const echo = await startEchoServer(JSON.parse(process.env.ECHO_LIMITS ?? '{}'));
console.log(`listening on ${echo.port}`);
process.once('SIGTERM', () => {
  void echo.close().then(() => process.exit(0));
});
