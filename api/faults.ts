// Each OpenStack service's own error body, built from an ErrorValue: Nova's fault
// (`{"itemNotFound": {"code": 404, "message": …}}`, nova/api/openstack/wsgi.py Fault), Keystone's
// (`{"error": {"code", "message", "title"}}`) and Glance's (webob's JSON error). The stable cumulo
// code goes in the `x-cumulo-error` header, so the bodies keep the exact shapes clients parse.
import type { ErrorValue } from '../transports/errors.js';

export type FaultStyle = 'nova' | 'keystone' | 'glance' | 'plain';

/** nova/api/openstack/wsgi.py Fault._fault_names; anything else is computeFault. */
const NOVA_NAMES: Readonly<Record<number, string>> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

/** HTTP reason phrases, the `title` of Keystone's and Glance's bodies. */
const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function titleOf(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error');
}

/** The service whose fault format a path answers in (DevStack's layout). */
export function faultStyleOf(url: string): FaultStyle {
  if (url.startsWith('/identity')) return 'keystone';
  if (url.startsWith('/compute')) return 'nova';
  if (url.startsWith('/image')) return 'glance';
  return 'plain';
}

/** Nova hides internal details behind a generic message for 500s, as we do. */
function publicMessage(e: ErrorValue): string {
  return e.status >= 500 && e.code === 'INTERNAL' ? 'Unexpected API Error. Please report this at the cumulo issue tracker.' : e.message;
}

export function faultBody(style: FaultStyle, e: ErrorValue): Record<string, unknown> {
  const message = publicMessage(e);
  switch (style) {
    case 'nova':
      return { [NOVA_NAMES[e.status] ?? 'computeFault']: { code: e.status, message } };
    case 'keystone':
      return { error: { code: e.status, message, title: titleOf(e.status) } };
    case 'glance':
      return { code: `${e.status} ${titleOf(e.status)}`, title: titleOf(e.status), message };
    case 'plain':
      return { error: { code: e.code, message, status: e.status } };
    default: {
      const never: never = style;
      return never;
    }
  }
}
