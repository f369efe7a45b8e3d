// Nova API microversions (nova/api/openstack/api_version_request.py): the version a request asks
// for (OpenStack-API-Version: compute X, or X-OpenStack-Nova-API-Version: X; "latest" is the
// maximum; none is 2.1), 406 outside 2.1…MAX, and the headers every compute response echoes.
// MAX is advertised honestly: every response shape of 2.1 to MAX that the routes serve is built
// for the version asked (the version-dependent fields are listed in docs/rest-api.md).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest } from '../../transports/errors.js';
import { fail, VersionNotAcceptable } from '../errors.js';

export const MIN_VERSION = '2.1';
/** 2.37: `networks` may be 'none' or 'auto' (no networking service exists yet: both mean no ports). */
export const MAX_VERSION = '2.37';

/** A microversion as one comparable number: 2.37 → 2037. */
export type Microversion = number;

function parse(text: string): Microversion | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  if (m === null) return undefined;
  return Number(m[1]) * 1000 + Number(m[2]);
}

export const MIN: Microversion = parse(MIN_VERSION)!;
export const MAX: Microversion = parse(MAX_VERSION)!;

export function format(v: Microversion): string {
  return `${Math.floor(v / 1000)}.${v % 1000}`;
}

const thresholds = new Map<string, Microversion>();

/** `v >= at`, with `at` written as Nova writes it ('2.19'); the few thresholds are parsed once. */
export function atLeast(v: Microversion, at: string): boolean {
  let threshold = thresholds.get(at);
  if (threshold === undefined) {
    threshold = parse(at)!;
    thresholds.set(at, threshold);
  }
  return v >= threshold;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The compute microversion of the request (compute routes only). */
    microversion: Microversion;
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const raw = req.headers[name];
  return Array.isArray(raw) ? raw.join(',') : raw;
}

/** The compute version named in OpenStack-API-Version ("compute 2.37", maybe among other services). */
function fromGlobalHeader(value: string): string | undefined {
  for (const part of value.split(',')) {
    const [service, version, ...rest] = part.trim().split(/\s+/);
    if (service?.toLowerCase() === 'compute' && version !== undefined && rest.length === 0) return version;
  }
  return undefined;
}

/** onRequest hook of the compute routes: reads, checks and echoes the microversion. */
export async function negotiate(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const asked = (() => {
    const global = header(req, 'openstack-api-version');
    const fromGlobal = global === undefined ? undefined : fromGlobalHeader(global);
    return fromGlobal ?? header(req, 'x-openstack-nova-api-version');
  })();
  let version = MIN;
  if (asked !== undefined) {
    if (asked.trim().toLowerCase() === 'latest') version = MAX;
    else {
      const parsed = parse(asked);
      if (parsed === undefined) fail(BadRequest(`API Version String ${asked.slice(0, 32)} is of invalid format. Must be of format MajorNum.MinorNum.`));
      version = parsed;
    }
  }
  req.microversion = version;
  void reply.header('openstack-api-version', `compute ${format(version)}`);
  void reply.header('x-openstack-nova-api-version', format(version));
  void reply.header('vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version');
  if (version < MIN || version > MAX) {
    fail(VersionNotAcceptable(`Version ${format(version)} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${MAX_VERSION}.`));
  }
}
