import { awsErrorLine } from '../ops/aws-errors.ts';

/**
 * Any failure as the one line the page and the log show: an AWS error names its call, code and
 * the service's message (`CloudWatch DescribeAlarms failed: AccessDenied: …`), anything else its
 * message. Never a stack: the on-call reader needs the cause, not the call path.
 */
export function errorLine(error: unknown): string {
  const line = awsErrorLine(error) ?? (error instanceof Error ? error.message : String(error));
  return line.replace(/\s+/g, ' ').trim() || 'unexpected error';
}
