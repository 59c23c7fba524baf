/**
 * A Middy middleware, registered FIRST so its onError runs LAST (after
 * @middy/sqs-partial-batch-failure turned the error into "every record failed" and a successful
 * response): a HandlerSetupError is thrown again, so the invocation fails and Lambda's Errors
 * metric moves. Any other error is left to the partial-batch middleware.
 */
import type { MiddlewareObj } from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { HandlerSetupError } from '../errors.ts';

export function rethrowHandlerSetupError(): MiddlewareObj<SQSEvent, SQSBatchResponse, Error, Context> {
  return {
    onError: async (request) => {
      if (request.error instanceof HandlerSetupError) throw request.error;
    },
  };
}
