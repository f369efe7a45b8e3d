// Error codes of Glance's HTTP face itself (the image actors' codes are in actors/image/errors.ts):
// the data routes answer 501 when the API runs without the process's image service.
import { defineError } from '../../transports/errors.js';

/** Upload or download asked of an API built without the in-process ImageService (ApiOptions.images). */
export const ImageDataUnavailable = defineError('IMAGE_DATA_UNAVAILABLE', 501);
