// The URLs the API writes into its bodies (self links, the service catalog, Location headers):
// built from the address the client used to reach us, so they work whichever port `cumulo up`
// took, on 127.0.0.1 or localhost.
import type { FastifyRequest } from 'fastify';

const HOST = /^[A-Za-z0-9.-]{1,253}(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](?::\d{1,5})?$/;

/** `http://host:port` of this request (the Host header when well-formed). */
export function baseUrl(req: FastifyRequest): string {
  const host = req.headers.host;
  if (host !== undefined && HOST.test(host)) return `http://${host}`;
  const port = req.socket.localPort;
  return port === undefined ? 'http://127.0.0.1' : `http://127.0.0.1:${port}`;
}
