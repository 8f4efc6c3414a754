/** The OpenAPI 3.1 document of the Resource Server, generated from the protocol's zod schemas. */
import { z } from 'zod';
import {
  ackPayload,
  batchPayload,
  enrolRequest,
  enrolResponse,
  paths,
  problem,
  PROTOCOL_VERSION,
  pushRequest,
  pushResponse,
  registryPayload,
  requestClaims,
  syncRecord,
} from '../core/sync/protocol.js';

const schema = (s: z.ZodType) => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ content: { 'application/json': { schema: ref(name) } } });
const problems = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: 'refused', ...json('Problem') }]));

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'OBF Resource Server',
      version: String(PROTOCOL_VERSION),
      description:
        'Devices, credentials and custody bindings pushed by provisioning stations (Y.OBF_Trust 7.1.2, 3.2.4) and the application registry they pull (9.2.2). Batches, acks and registry answers are compact JWS (EdDSA); the secret fields of a batch travel as one compact JWE (ECDH-ES+A256KW/A256GCM) to the server key, mapping the seq of each record to its secret and naming the batch jti.',
    },
    paths: {
      [paths.enrol]: {
        post: {
          summary: 'Enrol a station with a one-time code',
          requestBody: { required: true, ...json('EnrolRequest') },
          responses: {
            '200': { description: 'enrolled', ...json('EnrolResponse') },
            ...problems(400, 403, 409, 413),
          },
        },
      },
      [paths.batches]: {
        post: {
          summary: 'Push a signed batch of records (JWS typ obf-batch+jws over BatchPayload)',
          requestBody: { required: true, ...json('PushRequest') },
          responses: {
            '200': {
              description: 'a signed ack (JWS typ obf-ack+jws over AckPayload)',
              ...json('PushResponse'),
            },
            ...problems(400, 401, 403, 409, 413, 429, 503),
          },
        },
      },
      [paths.registry]: {
        get: {
          summary: 'Registry and permission changes since a cursor',
          parameters: [
            {
              name: 'since',
              in: 'query',
              required: false,
              schema: { type: 'string', pattern: '^\\d{1,15}$' },
            },
            {
              name: 'Authorization',
              in: 'header',
              required: true,
              description: 'OBF-JWS <compact JWS typ obf-request+jws over RequestClaims>',
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': {
              description: 'a signed answer (JWS typ obf-registry+jws over RegistryPayload)',
              ...json('PushResponse'),
            },
            ...problems(400, 401, 403, 409),
          },
        },
      },
      [paths.health]: {
        get: {
          summary: 'Database reachable',
          responses: { '200': { description: 'ok' }, '503': { description: 'down' } },
        },
      },
      [paths.metrics]: {
        get: {
          summary: 'Prometheus metrics',
          responses: { '200': { description: 'text/plain; version=0.0.4' } },
        },
      },
    },
    components: {
      schemas: {
        EnrolRequest: schema(enrolRequest),
        EnrolResponse: schema(enrolResponse),
        PushRequest: schema(pushRequest),
        PushResponse: schema(pushResponse),
        BatchPayload: schema(batchPayload),
        SyncRecord: schema(syncRecord),
        AckPayload: schema(ackPayload),
        RequestClaims: schema(requestClaims),
        RegistryPayload: schema(registryPayload),
        Problem: schema(problem),
      },
    },
  };
}
