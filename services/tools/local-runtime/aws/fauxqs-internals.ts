/**
 * fauxqs's package entry exports only `buildApp`/`startFauxqs`, but `buildApp({ stores })` accepts
 * store instances, and the persistence here subclasses its store classes. Its `exports` map hides
 * them from bare specifiers, so they are imported by path. Keep every such import in this file.
 */
export { S3Error } from '../../../../node_modules/fauxqs/dist/common/errors.js';
export { S3Store } from '../../../../node_modules/fauxqs/dist/s3/s3Store.js';
export type { S3Object } from '../../../../node_modules/fauxqs/dist/s3/s3Types.js';
export { SnsStore } from '../../../../node_modules/fauxqs/dist/sns/snsStore.js';
export { SqsQueue, SqsStore } from '../../../../node_modules/fauxqs/dist/sqs/sqsStore.js';
export type { InflightEntry, SqsMessage } from '../../../../node_modules/fauxqs/dist/sqs/sqsTypes.js';
