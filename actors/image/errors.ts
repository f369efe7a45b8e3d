// Error codes of the image service (Glance v2). Statuses follow Glance: 404 for an image the
// caller may not see, 403 for a forbidden change (read-only attribute, protected image,
// deactivated data), 409 for a wrong status or a taken id, 413 for quotas and the size cap, 416
// for a bad range. The worker pool's codes (image parsing, tasks) are declared here too, so
// docs/errors.md lists them; workers/ cannot import transports/.
import { defineError } from '../../transports/errors.js';
import { WORKER_ERRORS } from '../../workers/index.js';

export const ImageNotFound = defineError('IMAGE_NOT_FOUND', 404);
/** An image id already used (by a live or a deleted image: Glance never reuses ids). */
export const ImageExists = defineError('IMAGE_EXISTS', 409);
/** The image's status does not allow the request (upload to an active image, reactivate a queued one). */
export const ImageInvalidState = defineError('IMAGE_INVALID_STATE', 409);
/** A protected image cannot be deleted. */
export const ImageProtected = defineError('IMAGE_PROTECTED', 403);
/** A read-only or reserved attribute, or a core attribute that may not be removed. */
export const ImageAttributeForbidden = defineError('IMAGE_ATTRIBUTE_FORBIDDEN', 403);
/** JSON patch on a custom property: replace or remove of one that does not exist. */
export const ImagePropertyConflict = defineError('IMAGE_PROPERTY_CONFLICT', 409);
/** Image count, concurrent uploads or storage of the project would go over its limit. */
export const ImageQuotaExceeded = defineError('IMAGE_QUOTA_EXCEEDED', 413);
/** Data larger than the cloud's image size cap (Glance image_size_cap). */
export const ImageTooBig = defineError('IMAGE_TOO_BIG', 413);
/** Data download of a deactivated image by a non-admin. */
export const ImageDeactivated = defineError('IMAGE_DEACTIVATED', 403);
export const ImageRangeNotSatisfiable = defineError('IMAGE_RANGE_NOT_SATISFIABLE', 416);
/** The uploaded bytes are not what disk_format says (a qcow2 declared raw, garbage declared qcow2). */
export const ImageFormatMismatch = defineError('IMAGE_FORMAT_MISMATCH', 400);
/** The upload's body ended with an error (client gone); the image goes back to queued. */
export const ImageUploadAborted = defineError('IMAGE_UPLOAD_ABORTED', 400);
/** A conversion cumulo cannot do (only raw and qcow2 convert). */
export const ImageConversionUnsupported = defineError('IMAGE_CONVERSION_UNSUPPORTED', 400);
/** Members exist only on images whose visibility is shared. */
export const ImageNotShared = defineError('IMAGE_NOT_SHARED', 403);
export const ImageMemberNotFound = defineError('IMAGE_MEMBER_NOT_FOUND', 404);
export const ImageMemberExists = defineError('IMAGE_MEMBER_EXISTS', 409);

for (const kind of WORKER_ERRORS) defineError(kind.code, kind.status, kind.retryable);
