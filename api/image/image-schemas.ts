// Glance v2's JSON schemas (api-ref image v2 "Schemas": GET /v2/schemas/image and /images), which
// clients read to learn the image's attributes (openstacksdk's get_image_schema, glanceclient's
// validation of `image create`/`set`): the core attributes with their types and, as Glance says
// with additionalProperties, that any other property is a string.
import type { FastifyInstance } from 'fastify';
import { CONTAINER_FORMAT_NAMES, DISK_FORMAT_NAMES, IMAGE_STATUSES, OS_HASH_ALGO, VISIBILITIES } from './contract.js';

const nullable = (type: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: [type, 'null'], ...extra });
const readOnly = (description: string, schema: Record<string, unknown>): Record<string, unknown> => ({ ...schema, readOnly: true, description });

/** Glance's `image` schema (glance/api/v2/images.py get_base_properties), with cumulo's enums. */
export function imageSchema(): Record<string, unknown> {
  return {
    name: 'image',
    properties: {
      id: { type: 'string', pattern: '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$', description: 'An identifier for the image' },
      name: nullable('string', { maxLength: 255, description: 'Descriptive name for the image' }),
      status: readOnly('Status of the image', { type: 'string', enum: IMAGE_STATUSES.filter((s) => s !== 'deleted') }),
      visibility: { type: 'string', enum: [...VISIBILITIES], description: 'Scope of image accessibility' },
      protected: { type: 'boolean', description: 'If true, image will not be deletable.' },
      os_hidden: { type: 'boolean', description: 'If true, image will not appear in default image list response.' },
      checksum: readOnly('md5 hash of image contents.', nullable('string', { maxLength: 32 })),
      os_hash_algo: readOnly('Algorithm to calculate the os_hash_value', nullable('string', { enum: [OS_HASH_ALGO, null], maxLength: 64 })),
      os_hash_value: readOnly('Hexdigest of the image contents using the algorithm specified by the os_hash_algo', nullable('string', { maxLength: 128 })),
      owner: nullable('string', { maxLength: 255, description: 'Owner of the image' }),
      size: readOnly('Size of image file in bytes', nullable('integer')),
      virtual_size: readOnly('Virtual size of image in bytes', nullable('integer')),
      container_format: nullable('string', { enum: [...CONTAINER_FORMAT_NAMES, null], description: 'Format of the container' }),
      disk_format: nullable('string', { enum: [...DISK_FORMAT_NAMES, null], description: 'Format of the disk' }),
      created_at: readOnly('Date and time of image registration', { type: 'string' }),
      updated_at: readOnly('Date and time of the last image modification', { type: 'string' }),
      tags: { type: 'array', items: { type: 'string', maxLength: 255 }, description: 'List of strings related to the image' },
      min_ram: { type: 'integer', description: 'Amount of ram (in MB) required to boot image.' },
      min_disk: { type: 'integer', description: 'Amount of disk space (in GB) required to boot image.' },
      self: readOnly('An image self url', { type: 'string' }),
      file: readOnly('An image file url', { type: 'string' }),
      schema: readOnly('An image schema url', { type: 'string' }),
      locations: readOnly('A set of URLs to access the image file kept in external store', { type: 'array', items: { type: 'object' } }),
    },
    additionalProperties: { type: 'string' },
    links: [
      { rel: 'self', href: '{self}' },
      { rel: 'enclosure', href: '{file}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

/** Glance's `images` schema: a page of images and its links. */
export function imagesSchema(): Record<string, unknown> {
  return {
    name: 'images',
    properties: {
      images: { type: 'array', items: imageSchema() },
      schema: { type: 'string' },
      first: { type: 'string' },
      next: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

export async function imageSchemaRoutes(fastify: FastifyInstance): Promise<void> {
  const image = imageSchema();
  const images = imagesSchema();
  fastify.get('/v2/schemas/image', { schema: { tags: ['image'], summary: 'The JSON schema of an image', security: [{ token: [] }] } }, async () => image);
  fastify.get('/v2/schemas/images', { schema: { tags: ['image'], summary: 'The JSON schema of an image list', security: [{ token: [] }] } }, async () => images);
}
