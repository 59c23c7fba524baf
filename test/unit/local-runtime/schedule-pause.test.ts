import { jest } from '@jest/globals';
import { Schedule } from '../../../services/tools/local-runtime/lambda/schedule.ts';

/** A schedule every 10 s whose ticks are driven by fake timers (no waiting, no timing). */
function schedule(paused: { value: boolean }) {
  const invocations: string[] = [];
  const s = new Schedule<string>({
    ruleName: 'totes-extract-schedule',
    region: 'eu-west-2',
    everySeconds: 10,
    fn: {
      name: 'totes-extract',
      timeoutSeconds: 60,
      memoryMb: 512,
      handler: async (event) => {
        invocations.push(event.id);
        return 'ran';
      },
    },
    paused: () => paused.value,
  });
  return { s, invocations };
}

describe('the local schedule, paused', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('invokes nothing while paused, counts the skipped ticks, and runs again once resumed', async () => {
    const paused = { value: true };
    const { s, invocations } = schedule(paused);
    s.start();
    await jest.advanceTimersByTimeAsync(30_000);
    expect(invocations).toHaveLength(0);
    expect(s.ticksSkippedWhilePaused).toBe(4);
    expect(s.paused).toBe(true);

    paused.value = false;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(invocations).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(invocations).toHaveLength(2);
    expect(s.ticksSkippedWhilePaused).toBe(4);
    await s.stop();
  });

  it('still runs an explicit fire() (an Invoke is not the schedule)', async () => {
    const { s, invocations } = schedule({ value: true });
    const outcome = await s.fire();
    expect(outcome.ok).toBe(true);
    expect(invocations).toHaveLength(1);
    await s.stop();
  });
});
