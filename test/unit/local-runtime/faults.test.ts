import { fauxqsBoundary } from '../../../services/tools/local-runtime/faults/http.ts';
import {
  FAULT_KINDS,
  FaultInjector,
  FaultSpecError,
  formatFaultSpec,
  parseFaultSpec,
} from '../../../services/tools/local-runtime/faults/injector.ts';
import { injectedTimeoutSeconds } from '../../../services/tools/local-runtime/faults/lambda.ts';

const draws = (injector: FaultInjector, kind: (typeof FAULT_KINDS)[number], n: number) =>
  Array.from({ length: n }, () => injector.draw(kind));

describe('fault spec', () => {
  test('parses kind=probability pairs; all= sets every survivable kind and later entries override', () => {
    expect(parseFaultSpec('s3.put=0.05, sqs.delete=0.1')).toEqual({ 's3.put': 0.05, 'sqs.delete': 0.1 });
    const spec = parseFaultSpec('all=0.05,reorder=0.2');
    for (const kind of FAULT_KINDS) {
      expect(spec[kind]).toBe(kind === 'reorder' ? 0.2 : kind === 'post-commit-kill' ? undefined : 0.05);
    }
    expect(parseFaultSpec('post-commit-kill=1')).toEqual({ 'post-commit-kill': 1 });
    expect(formatFaultSpec(parseFaultSpec('duplicate=0.1,s3.get=0,s3.put=1'))).toBe('s3.put=1,duplicate=0.1');
  });

  test.each([
    ['', /empty/],
    ['s3.put', /kind=probability/],
    ['s3.put=1.5', /between 0 and 1/],
    ['s3.put=-1', /kind=probability/],
    ['disk.full=0.1', /unknown fault kind "disk.full"/],
  ])('refuses %p', (text, message) => {
    expect(() => parseFaultSpec(text)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(text)).toThrow(message);
  });
});

describe('FaultInjector', () => {
  test('the same seed gives the same decisions per boundary, another seed others', () => {
    const a = FaultInjector.parse('all=0.3', 11);
    const b = FaultInjector.parse('all=0.3', 11);
    const c = FaultInjector.parse('all=0.3', 12);
    const sequence = draws(a, 's3.put', 200);
    expect(draws(b, 's3.put', 200)).toEqual(sequence);
    expect(draws(c, 's3.put', 200)).not.toEqual(sequence);
    expect(sequence.filter(Boolean).length).toBeGreaterThan(30);
    expect(sequence.filter(Boolean).length).toBeLessThan(100);
  });

  test('boundaries draw from independent streams: crossing one does not shift another', () => {
    const a = FaultInjector.parse('all=0.3', 7);
    const b = FaultInjector.parse('all=0.3', 7);
    draws(a, 'sqs.receive', 57);
    expect(draws(a, 'ddb.write', 100)).toEqual(draws(b, 'ddb.write', 100));
  });

  test('counts every injected fault by kind; disabled or zero-probability kinds draw nothing', () => {
    const injector = FaultInjector.parse('s3.get=1,timeout=0', 1, { enabled: false });
    expect(draws(injector, 's3.get', 5)).toEqual([false, false, false, false, false]);
    injector.enabled = true;
    expect(draws(injector, 's3.get', 3)).toEqual([true, true, true]);
    expect(draws(injector, 'timeout', 3)).toEqual([false, false, false]);
    expect(injector.counts()['s3.get']).toBe(3);
    expect(injector.counts().timeout).toBe(0);
    expect(injector.total).toBe(3);
    expect(Object.keys(injector.counts())).toEqual([...FAULT_KINDS]);
  });

  test('counts crossings (decisions drawn while enabled), fired or not, and signals a crossing', async () => {
    const injector = FaultInjector.parse('pg.commit=0.5,timeout=0', 11, { enabled: false });
    draws(injector, 'pg.commit', 4);
    expect(injector.crossings()['pg.commit']).toBe(0);
    injector.enabled = true;
    const reached = injector.whenCrossed('pg.commit', 3, 60_000);
    const fired = draws(injector, 'pg.commit', 3);
    expect(await reached).toBe(true);
    draws(injector, 'timeout', 2);
    expect(injector.crossings()['pg.commit']).toBe(3);
    expect(injector.crossings().timeout).toBe(0);
    expect(injector.counts()['pg.commit']).toBe(fired.filter(Boolean).length);
    // Seed 11 at p = 0.5: the 3rd crossing fires (the chaos test relies on this stream).
    expect(fired).toEqual([false, false, true]);
    expect(await injector.whenCrossed('pg.commit', 3, 0)).toBe(true);
    expect(await injector.whenCrossed('pg.commit', 4, 10)).toBe(false);
  });

  test('an injected timeout is shorter than the function timeout and at least 20 ms', () => {
    const injector = FaultInjector.parse('timeout=1', 3);
    for (let i = 0; i < 50; i++) {
      const seconds = injectedTimeoutSeconds(injector, 5) ?? 0;
      expect(seconds).toBeGreaterThanOrEqual(0.02);
      expect(seconds).toBeLessThanOrEqual(1.5);
    }
    expect(injectedTimeoutSeconds(undefined, 5)).toBeUndefined();
    expect(injectedTimeoutSeconds(FaultInjector.parse('timeout=0', 3), 5)).toBeUndefined();
  });
});

describe('fauxqs request boundaries', () => {
  test.each([
    ['POST', '/', 'AmazonSQS.SendMessage', 'sqs.send'],
    ['POST', '/', 'AmazonSQS.SendMessageBatch', 'sqs.send'],
    ['POST', '/', 'AmazonSQS.ReceiveMessage', 'sqs.receive'],
    ['POST', '/', 'AmazonSQS.DeleteMessageBatch', 'sqs.delete'],
    ['POST', '/', 'AmazonSQS.ChangeMessageVisibilityBatch', 'sqs.delete'],
    ['POST', '/', 'AmazonSQS.GetQueueAttributes', undefined],
    ['PUT', '/bucket/units/2026/a%20b.json', undefined, 's3.put'],
    ['POST', '/bucket/big.json?uploads', undefined, 's3.put'],
    ['POST', '/bucket/big.json?uploadId=1', undefined, 's3.put'],
    ['GET', '/bucket/units/manifest.json', undefined, 's3.get'],
    ['HEAD', '/bucket/units/manifest.json', undefined, 's3.get'],
    ['GET', '/bucket?list-type=2&prefix=units/', undefined, 's3.get'],
    ['PUT', '/bucket', undefined, undefined],
    ['PUT', '/bucket?notification', undefined, undefined],
    ['GET', '/health', undefined, undefined],
    ['GET', '/_fauxqs/queues', undefined, undefined],
  ])('%s %s %s → %s', (method, url, target, kind) => {
    expect(fauxqsBoundary(method, url, target)).toBe(kind);
  });
});
