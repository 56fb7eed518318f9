/**
 * The 15 (16) integration scenarios of the original system, one category per `*.scenarios.ts` file.
 *
 * They run as ONE jest test file on purpose: jest gives every test file its own ESM module registry, so each
 * file pays for loading Nest again (about 0.7 s here). Importing the categories for their `describe` blocks
 * loads Nest once, and the whole table runs in one file, in the original's order.
 */
import './network-timeouts.scenarios.js';
import './service-unavailability.scenarios.js';
import './database-connection-loss.scenarios.js';
import './load.scenarios.js';
import './cross-component.scenarios.js';
import './metrics.scenarios.js';
import './performance.scenarios.js';
import './suite-summary.scenarios.js';
