// The public face of cumulo as a library: `import { Cloud } from 'cumulo'`.
export { Cloud, EPHEMERAL_PASSWORD_COST } from './cloud.js';
export type { CloudEvent, CloudStartOptions, ConnectOptions } from './cloud.js';
export { ComputeClient } from './compute-client.js';
export type { ComputeService, CreateFlavorOptions, CreateKeypairOptions, CreateServerGroupOptions, CreateServerOptions, ServerQuery, WaitOptions } from './compute-client.js';
export { IdentityClient } from './identity-client.js';
export type { CreateProjectOptions, CreateUserOptions, TokenDescription, TokenRequest, UpdateUserOptions } from './identity-client.js';
export { ServerFailed } from './client-errors.js';
export { Fabric, SIMULATED_HOST } from './fabric.js';
export type { FabricOptions, TransportChoice } from './fabric.js';
export type { Login, RequestOptions } from './session.js';
export { Simulation } from './simulation.js';
export type { Report, RunResult, Scenario, ScenarioInput, SimulationRunOptions } from './simulation.js';
export type { AssignmentView, AuthResult, Caller, ProjectView, Role, UserView } from '../actors/identity/index.js';
export type {
  FlavorView,
  GeneratedKeypairView,
  GroupPolicyName,
  InstanceStatus,
  InstanceView,
  KeypairView,
  ServerGroupSummary,
  ServerGroupView,
  ServerSummary,
  TaskState,
} from '../actors/compute/index.js';
export type { QuotaView } from '../actors/quota/index.js';
export type { HostSummary, ZoneSummary } from '../actors/scheduler/index.js';
export type { HostView, Inventory } from '../hosts/compute/index.js';
export type { ErrorValue, Result } from '../transports/errors.js';
export { FabricError } from '../transports/errors.js';
