// How a handler answers an error value without crashing. A thrown error is a failure that goes to
// the supervisor (and restarts the actor); bad input, a conflict or a missing permission is an
// answer: the handler returns refuse(error) and the actor goes on serving with its state intact.
import type { ErrorValue } from '../transports/errors.js';

export class Refusal {
  constructor(readonly error: ErrorValue) {}
}

export function refuse(error: ErrorValue): Refusal {
  return new Refusal(error);
}
