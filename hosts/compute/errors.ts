// Error codes of the compute hosts. A host refuses a bid it cannot honour (NO_FIT) and a claim it
// cannot grant (CLAIM_REFUSED): both are ordinary answers of the call for bids, which moves on
// to the next host. DOMAIN_NOT_FOUND is a power action on a VM the host does not run.
import { defineError } from '../../transports/errors.js';

/** The host cannot take the request: down, disabled, wrong zone, missing traits or not enough room. */
export const NoFit = defineError('NO_FIT', 409);
/** The host refused a claim (not enough room now, disabled, down); another host may take it. */
export const ClaimRefused = defineError('CLAIM_REFUSED', 409, true);
/** No hypervisor domain of that instance on this host. */
export const DomainNotFound = defineError('DOMAIN_NOT_FOUND', 404);
