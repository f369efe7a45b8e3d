// `flavors/catalog`: the cloud's flavors (Nova os-flavors, os-flavor-manage, os-flavor-access,
// os-flavor-extra-specs). Small data, one actor: names and ids are unique across public and
// private flavors; a private flavor is visible only to projects on its access list and to admins
// (to anyone else it does not exist: FLAVOR_NOT_FOUND); only admins change the catalog.
import { randomUUID } from 'node:crypto';
import { defineKind, refuse, type KindDefinition, type Refusal } from '../../supervision/index.js';
import { BadRequest, isErrorValue, Unauthorized, type ErrorValue } from '../../transports/errors.js';
import { isAdmin, mustBeAdmin, type Caller } from '../identity/caller.js';
import {
  FlavorAccessExists,
  FlavorAccessNotFound,
  FlavorExists,
  FlavorExtraSpecNotFound,
  FlavorIsPublic,
  FlavorNotFound,
} from './catalog-errors.js';
import { messageChecker } from '../schema-check.js';
import { FlavorMessage, type FlavorReply, type FlavorView } from './flavor-messages.js';

export const FLAVORS_KIND = 'flavors';
/** The one actor of the kind. */
export const FLAVOR_CATALOG_ID = 'catalog';

interface FlavorRecord extends FlavorView {
  /** Projects with access (private flavors only). */
  readonly access: readonly string[];
  readonly createdAt: number;
}

export interface FlavorCatalogState {
  /** Sorted by id (Nova lists by flavorid); tens of entries, so arrays beat maps here. */
  readonly flavors: readonly FlavorRecord[];
  /** Set by the first ensureDefaults: later calls never bring back a default an admin deleted. */
  readonly defaultsEnsured: boolean;
}

/** DevStack's defaults (vcpus, RAM MB, disk GB), public. */
export const DEFAULT_FLAVORS: readonly Pick<FlavorView, 'id' | 'name' | 'vcpus' | 'ramMb' | 'diskGb'>[] = [
  { id: '1', name: 'm1.tiny', vcpus: 1, ramMb: 512, diskGb: 1 },
  { id: '2', name: 'm1.small', vcpus: 1, ramMb: 2048, diskGb: 20 },
  { id: '3', name: 'm1.medium', vcpus: 2, ramMb: 4096, diskGb: 40 },
  { id: '4', name: 'm1.large', vcpus: 4, ramMb: 8192, diskGb: 80 },
  { id: '5', name: 'm1.xlarge', vcpus: 8, ramMb: 16384, diskGb: 160 },
];

export interface FlavorKindOptions {
  /** Ids of flavors created without one (default: random UUIDs). */
  readonly newId?: () => string;
}

const invalidBody = messageChecker(FlavorMessage);

function view(f: FlavorRecord): FlavorView {
  const { access: _access, createdAt: _createdAt, ...shown } = f;
  return shown;
}

function visibleTo(caller: Caller, f: FlavorRecord): boolean {
  return f.isPublic || isAdmin(caller) || (caller.projectId !== null && f.access.includes(caller.projectId));
}

function withFlavor(state: FlavorCatalogState, f: FlavorRecord): FlavorCatalogState {
  const flavors = [...state.flavors.filter((x) => x.id !== f.id), f].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { ...state, flavors };
}

/** What an admin-only change needs: an admin caller and an existing flavor. */
function adminTarget(state: FlavorCatalogState, caller: Caller | undefined, id: string): FlavorRecord | ErrorValue {
  const denied = mustBeAdmin(caller);
  if (denied !== undefined) return denied;
  return state.flavors.find((f) => f.id === id) ?? FlavorNotFound(`Flavor ${id} could not be found.`, { id });
}

/** Whether a stored flavor has what a create asks for (its access list and time aside). */
function sameSpec(f: FlavorRecord, spec: Omit<FlavorRecord, 'id'>): boolean {
  const specs = (x: Readonly<Record<string, string>>): string => JSON.stringify(Object.entries(x).sort());
  return (
    f.name === spec.name &&
    f.vcpus === spec.vcpus &&
    f.ramMb === spec.ramMb &&
    f.diskGb === spec.diskGb &&
    f.ephemeralGb === spec.ephemeralGb &&
    f.swapMb === spec.swapMb &&
    f.isPublic === spec.isPublic &&
    f.description === spec.description &&
    specs(f.extraSpecs) === specs(spec.extraSpecs)
  );
}

export function createFlavorKind(options: FlavorKindOptions = {}): KindDefinition<FlavorCatalogState, FlavorMessage, FlavorReply> {
  const newId = options.newId ?? randomUUID;
  return defineKind<FlavorCatalogState, FlavorMessage, FlavorReply>({
    name: FLAVORS_KIND,
    messageTypes: {
      create: true,
      get: true,
      list: true,
      delete: true,
      setExtraSpecs: true,
      unsetExtraSpecs: true,
      addAccess: true,
      removeAccess: true,
      listAccess: true,
      ensureDefaults: true,
    },
    initialState: { flavors: [], defaultsEnsured: false },
    async handle(ctx, msg): Promise<FlavorReply | Refusal> {
      const bad = invalidBody(msg);
      if (bad !== undefined) return refuse(bad);
      const caller = msg.caller as Caller | undefined;
      const state = ctx.state;
      switch (msg.type) {
        case 'create': {
          const denied = mustBeAdmin(caller);
          if (denied !== undefined) return refuse(denied);
          const spec: Omit<FlavorRecord, 'id'> = {
            name: msg.name,
            vcpus: msg.vcpus,
            ramMb: msg.ramMb,
            diskGb: msg.diskGb,
            ephemeralGb: msg.ephemeralGb ?? 0,
            swapMb: msg.swapMb ?? 0,
            isPublic: msg.isPublic ?? true,
            description: msg.description ?? null,
            extraSpecs: msg.extraSpecs ?? {},
            access: [],
            createdAt: ctx.clock.now(),
          };
          const sameId = msg.id === undefined ? undefined : state.flavors.find((f) => f.id === msg.id);
          if (sameId !== undefined) {
            // The same create again (a retry with its id) answers the flavor it made.
            if (sameSpec(sameId, spec)) return view(sameId);
            return refuse(FlavorExists(`Flavor with ID ${sameId.id} already exists.`, { id: sameId.id }));
          }
          if (state.flavors.some((f) => f.name === spec.name)) return refuse(FlavorExists(`Flavor with name ${spec.name} already exists.`, { name: spec.name }));
          const flavor: FlavorRecord = { id: msg.id ?? newId(), ...spec };
          if (state.flavors.some((f) => f.id === flavor.id)) throw new Error(`the flavor id generator repeated ${flavor.id}`);
          await ctx.persist(withFlavor(state, flavor));
          return view(flavor);
        }
        case 'get': {
          if (caller === undefined) return refuse(Unauthorized('this request needs a token'));
          const found = state.flavors.find((f) => f.id === msg.idOrName) ?? state.flavors.find((f) => f.name === msg.idOrName);
          if (found === undefined || !visibleTo(caller, found)) return refuse(FlavorNotFound(`Flavor ${msg.idOrName} could not be found.`, { id: msg.idOrName }));
          return view(found);
        }
        case 'list': {
          if (caller === undefined) return refuse(Unauthorized('this request needs a token'));
          return { flavors: state.flavors.filter((f) => visibleTo(caller, f)).map(view) };
        }
        case 'delete': {
          const target = adminTarget(state, caller, msg.id);
          if (isErrorValue(target)) return refuse(target);
          await ctx.persist({ ...state, flavors: state.flavors.filter((f) => f.id !== msg.id) });
          return { id: msg.id };
        }
        case 'setExtraSpecs': {
          const target = adminTarget(state, caller, msg.id);
          if (isErrorValue(target)) return refuse(target);
          const extraSpecs = { ...target.extraSpecs, ...msg.extraSpecs };
          if (Object.keys(extraSpecs).length > 128) return refuse(BadRequest(`flavor ${msg.id} would have more than 128 extra specs`));
          await ctx.persist(withFlavor(state, { ...target, extraSpecs }));
          return { id: msg.id, extraSpecs };
        }
        case 'unsetExtraSpecs': {
          const target = adminTarget(state, caller, msg.id);
          if (isErrorValue(target)) return refuse(target);
          const missing = msg.keys.find((k) => !Object.hasOwn(target.extraSpecs, k));
          if (missing !== undefined) {
            return refuse(FlavorExtraSpecNotFound(`Flavor ${msg.id} has no extra specs with key ${missing}.`, { id: msg.id, key: missing }));
          }
          const extraSpecs = Object.fromEntries(Object.entries(target.extraSpecs).filter(([k]) => !msg.keys.includes(k)));
          await ctx.persist(withFlavor(state, { ...target, extraSpecs }));
          return { id: msg.id, extraSpecs };
        }
        case 'addAccess': {
          const target = adminTarget(state, caller, msg.id);
          if (isErrorValue(target)) return refuse(target);
          if (target.isPublic) return refuse(FlavorIsPublic('Can not add access to a public flavor.', { id: msg.id }));
          if (target.access.includes(msg.projectId)) {
            return refuse(FlavorAccessExists(`Flavor access already exists for flavor ${msg.id} and project ${msg.projectId} combination.`, { id: msg.id, projectId: msg.projectId }));
          }
          const access = [...target.access, msg.projectId].sort();
          await ctx.persist(withFlavor(state, { ...target, access }));
          return { id: msg.id, projects: access };
        }
        case 'removeAccess': {
          const target = adminTarget(state, caller, msg.id);
          if (isErrorValue(target)) return refuse(target);
          if (!target.access.includes(msg.projectId)) {
            return refuse(FlavorAccessNotFound(`Flavor access not found for ${msg.id} / ${msg.projectId} combination.`, { id: msg.id, projectId: msg.projectId }));
          }
          const access = target.access.filter((p) => p !== msg.projectId);
          await ctx.persist(withFlavor(state, { ...target, access }));
          return { id: msg.id, projects: access };
        }
        case 'listAccess': {
          const target = adminTarget(state, caller, msg.id);
          if (isErrorValue(target)) return refuse(target);
          if (target.isPublic) return refuse(FlavorIsPublic('Access list not available for public flavors.', { id: msg.id }));
          return { id: msg.id, projects: target.access };
        }
        case 'ensureDefaults': {
          // The fabric calls it at start without a caller; a token holder must be an admin.
          if (caller !== undefined) {
            const denied = mustBeAdmin(caller);
            if (denied !== undefined) return refuse(denied);
          }
          if (state.defaultsEnsured) return { created: [] };
          let next: FlavorCatalogState = { ...state, defaultsEnsured: true };
          const created: string[] = [];
          for (const d of DEFAULT_FLAVORS) {
            // An admin's flavor that took a default's id or name first wins.
            if (next.flavors.some((f) => f.id === d.id || f.name === d.name)) continue;
            next = withFlavor(next, { ...d, ephemeralGb: 0, swapMb: 0, isPublic: true, description: null, extraSpecs: {}, access: [], createdAt: ctx.clock.now() });
            created.push(d.id);
          }
          await ctx.persist(next);
          return { created };
        }
        default: {
          const never: never = msg;
          return refuse(BadRequest(`unknown message ${JSON.stringify(never)}`));
        }
      }
    },
  });
}
