// The public face of cumulo as a library: `import { Cloud } from 'cumulo'`.
export { Cloud, SIMULATED_HOST } from './cloud.js';
export type { CloudOptions } from './cloud.js';
export type { MqttCredentials } from './credentials.js';
export type { HostView, Inventory } from '../hosts/compute/host-messages.js';
export type { ErrorValue, Result } from '../transports/errors.js';
