// The public face of cumulo as a library: `import { Cloud } from 'cumulo'`.
export { Cloud } from './cloud.js';
export type { CloudEvent, CloudStartOptions, ConnectOptions } from './cloud.js';
export { Fabric, SIMULATED_HOST } from './fabric.js';
export type { FabricOptions, TransportChoice } from './fabric.js';
export type { Login, RequestOptions } from './session.js';
export type { Caller, Role } from '../actors/identity/index.js';
export type { HostView, Inventory } from '../hosts/compute/index.js';
export type { ErrorValue, Result } from '../transports/errors.js';
export { FabricError } from '../transports/errors.js';
