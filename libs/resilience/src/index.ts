export { ResilienceModule } from './resilience.module.js';
