// Glance's image update: a JSON patch (application/openstack-images-v2.1-json-patch, RFC 6902's
// add, replace and remove on one-segment paths). Core attributes are set by add or replace and
// may not be removed; other paths are extra properties (replace and remove need them to exist);
// read-only and reserved attributes are refused with Glance's 403 messages.
import { Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { BadRequest, isErrorValue, type ErrorValue } from '../../transports/errors.js';
import { isAdmin, type Caller } from '../identity/caller.js';
import { ImageAttributeForbidden, ImagePropertyConflict, ImageQuotaExceeded } from './errors.js';
import { ContainerFormat, DiskFormat, ImageName, ProjectId, PropertyKey, SizeMb, Tags, VisibilitySchema, type PatchOp } from './image-messages.js';
import type { ImageRecord } from './image-record.js';

/** Glance's read-only attributes (its RequestDeserializer._readonly_properties, plus id). */
export const READ_ONLY = ['id', 'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size', 'virtual_size', 'created_at', 'updated_at', 'direct_url', 'self', 'file', 'schema', 'locations', 'stores'];
/** Glance's reserved attributes (and anything under os_glance_). */
export const RESERVED = ['location', 'deleted', 'deleted_at', 'is_public'];
export const MAX_PROPERTIES = 128;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A core attribute: its schema and how it is set on a record. */
interface Core {
  readonly schema: TSchema;
  set(r: Mutable<ImageRecord>, value: unknown, caller: Caller): ErrorValue | undefined;
}

const core: Readonly<Record<string, Core>> = {
  name: { schema: ImageName, set: (r, v) => void (r.name = v as string | null) },
  visibility: {
    schema: VisibilitySchema,
    set: (r, v, caller) => {
      if (v === 'public' && r.visibility !== 'public' && !isAdmin(caller)) return ImageAttributeForbidden('Only admins may make an image public.', { field: 'visibility' });
      r.visibility = v as ImageRecord['visibility'];
      return undefined;
    },
  },
  protected: { schema: Type.Boolean(), set: (r, v) => void (r.protected = v as boolean) },
  os_hidden: { schema: Type.Boolean(), set: (r, v) => void (r.osHidden = v as boolean) },
  min_ram: { schema: SizeMb, set: (r, v) => void (r.minRam = v as number) },
  min_disk: { schema: SizeMb, set: (r, v) => void (r.minDisk = v as number) },
  tags: { schema: Tags, set: (r, v) => void (r.tags = [...(v as string[])]) },
  disk_format: {
    schema: DiskFormat,
    set: (r, v) => {
      if (r.status !== 'queued') return ImageAttributeForbidden('Attribute disk_format can be only replaced for a queued image.', { field: 'disk_format' });
      r.diskFormat = v as ImageRecord['diskFormat'];
      return undefined;
    },
  },
  container_format: {
    schema: ContainerFormat,
    set: (r, v) => {
      if (r.status !== 'queued') return ImageAttributeForbidden('Attribute container_format can be only replaced for a queued image.', { field: 'container_format' });
      r.containerFormat = v as ImageRecord['containerFormat'];
      return undefined;
    },
  },
  owner: {
    schema: ProjectId,
    set: (r, v, caller) => {
      if (!isAdmin(caller)) return ImageAttributeForbidden("Attribute 'owner' may be changed by admins only.", { field: 'owner' });
      r.owner = v as string;
      return undefined;
    },
  },
};

const checks = new Map(Object.entries(core).map(([k, c]) => [k, TypeCompiler.Compile(c.schema)]));
const checkKey = TypeCompiler.Compile(PropertyKey);
const validKey = (key: string): boolean => checkKey.Check(key);
const checkValue = TypeCompiler.Compile(Type.String({ maxLength: 65535 }));

/** The one attribute a pointer names (`/min_ram`, `/a~1b` is `a/b`), or BAD_REQUEST. */
function attributeOf(path: string, at: number): string | ErrorValue {
  const bad = (why: string): ErrorValue => BadRequest(`Pointer \`${path}\` ${why}.`, { field: `/patch/${at}/path` });
  if (!path.startsWith('/')) return bad('does not start with "/"');
  const raw = path.slice(1);
  if (raw.includes('/')) return bad('names a nested location, which images do not have');
  if (/~[^01]|~$/.test(raw)) return bad('contains "~" not part of a recognized escape sequence');
  const name = raw.replace(/~1/g, '/').replace(/~0/g, '~');
  if (name.trim() === '') return bad('does not contain a valid token');
  return name;
}

/** The record after the patch, or the first operation's error (the record is then unchanged). */
export function applyPatch(record: ImageRecord, patch: readonly PatchOp[], caller: Caller): ImageRecord | ErrorValue {
  const next: Mutable<ImageRecord> = { ...record, properties: { ...record.properties } };
  const properties = next.properties as Record<string, string>;
  for (const [at, change] of patch.entries()) {
    const name = attributeOf(change.path, at);
    if (isErrorValue(name)) return name;
    if (READ_ONLY.includes(name)) return ImageAttributeForbidden(`Attribute '${name}' is read-only.`, { field: name });
    if (RESERVED.includes(name) || name.startsWith('os_glance')) return ImageAttributeForbidden(`Attribute '${name}' is reserved.`, { field: name });
    const attribute = core[name];
    if (attribute !== undefined) {
      if (change.op === 'remove') return ImageAttributeForbidden(`Property ${name} may not be removed.`, { field: name });
      if (!checks.get(name)!.Check(change.value)) return BadRequest(`Invalid value for ${name}: ${String(JSON.stringify(change.value)).slice(0, 100)}`, { field: `/patch/${at}/value` });
      const refused = attribute.set(next, change.value, caller);
      if (refused !== undefined) return refused;
      continue;
    }
    if (!validKey(name)) return BadRequest(`Invalid property name ${JSON.stringify(name.slice(0, 100))}`, { field: `/patch/${at}/path` });
    const exists = Object.hasOwn(properties, name);
    if (change.op === 'remove') {
      if (!exists) return ImagePropertyConflict(`Property ${name} does not exist.`, { field: name });
      delete properties[name];
      continue;
    }
    if (change.op === 'replace' && !exists) return ImagePropertyConflict(`Property ${name} does not exist.`, { field: name });
    if (!checkValue.Check(change.value)) return BadRequest(`Property ${name} must be a string of up to 65535 characters.`, { field: `/patch/${at}/value` });
    properties[name] = change.value;
  }
  if (Object.keys(properties).length > MAX_PROPERTIES) return ImageQuotaExceeded(`Maximum number of image properties (${MAX_PROPERTIES}) exceeded.`, { resource: 'properties' });
  return next;
}

/** Extra properties given at create must not use core, read-only or reserved names. */
export function checkCreateProperties(properties: Readonly<Record<string, string>>): ErrorValue | undefined {
  for (const key of Object.keys(properties)) {
    if (READ_ONLY.includes(key)) return ImageAttributeForbidden(`Attribute '${key}' is read-only.`, { field: key });
    if (RESERVED.includes(key) || key.startsWith('os_glance')) return ImageAttributeForbidden(`Attribute '${key}' is reserved.`, { field: key });
    if (core[key] !== undefined) return BadRequest(`Property ${key} is a core attribute; set it by its own field.`, { field: `/properties/${key}` });
  }
  return undefined;
}
