// Public API of `@engined/resilience/terminus`: the health state as Terminus indicators, for an
// app's own Terminus controllers (`HealthModule` mounts its endpoints itself). Peer: `@nestjs/terminus`.

export { ComponentHealthIndicator, describeComponent } from './component-health.indicator.js';
