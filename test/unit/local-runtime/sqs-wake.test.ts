import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { SqsQueue } from '../../../services/tools/local-runtime/aws/fauxqs-internals.ts';
import { LocalSqsStore } from '../../../services/tools/local-runtime/aws/sqs-store.ts';

/** A standard queue of an in-memory store (the store installs the wake rule on every queue). */
function newQueue(): { store: LocalSqsStore; queue: SqsQueue } {
  const store = new LocalSqsStore();
  const queue = store.createQueue(
    'q',
    'http://127.0.0.1/000000000000/q',
    'arn:aws:sqs:eu-west-2:000000000000:q',
  );
  return { store, queue };
}

/** Long polls waiting on `queue`, each with a flag set when it is answered. */
function waitingPolls(queue: SqsQueue, count: number, waitSeconds = 5) {
  return Array.from({ length: count }, () => {
    const poll = { woken: false, done: Promise.resolve() };
    poll.done = queue.waitForMessages(waitSeconds).then(() => {
      poll.woken = true;
    });
    return poll;
  });
}

describe('long polls of the local SQS stand-in wake one per ready message', () => {
  let queues: SqsQueue[] = [];
  afterEach(() => {
    for (const q of queues) q.cancelWaiters();
    queues = [];
    jest.useRealTimers();
  });

  it('a message wakes one waiting poll, not all of them; more messages wake more', async () => {
    const { store, queue } = newQueue();
    queues.push(queue);
    const polls = waitingPolls(queue, 5);
    store.enqueueDirect(queue, 'one');
    expect(queue.pollWaiters).toHaveLength(4);
    await polls[0]!.done;
    expect(polls.map((p) => p.woken)).toEqual([true, false, false, false, false]);
    // The woken poll takes the message; two more arrive: two more polls wake.
    expect(queue.dequeue(10).map((m) => m.Body)).toEqual(['one']);
    store.enqueueDirect(queue, 'two');
    store.enqueueDirect(queue, 'three');
    await Promise.all([polls[1]!.done, polls[2]!.done]);
    expect(queue.pollWaiters.length).toBeLessThanOrEqual(2);
    expect(queue.dequeue(10).map((m) => m.Body)).toEqual(['two', 'three']);
  });

  it('a ready message is never stranded: the queue timer wakes a poll that was not woken on arrival', async () => {
    jest.useFakeTimers();
    const { store, queue } = newQueue();
    queues.push(queue);
    store.enqueueDirect(queue, 'left behind'); // no poll was waiting: nobody woken
    const [poll] = waitingPolls(queue, 1, 20);
    expect(poll!.woken).toBe(false);
    await jest.advanceTimersByTimeAsync(20); // fauxqs's 20 ms queue timer
    expect(poll!.woken).toBe(true);
    expect(queue.dequeue(10).map((m) => m.Body)).toEqual(['left behind']);
  });

  it('an empty queue wakes nobody early (no spinning): polls end at their wait time', async () => {
    jest.useFakeTimers();
    const { queue } = newQueue();
    queues.push(queue);
    const polls = waitingPolls(queue, 3, 1);
    await jest.advanceTimersByTimeAsync(900);
    expect(polls.some((p) => p.woken)).toBe(false);
    expect(queue.pollWaiters).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(100);
    expect(polls.every((p) => p.woken)).toBe(true);
  });

  it('keeps fauxqs rule for FIFO queues (every poll woken)', () => {
    const store = new LocalSqsStore();
    const queue = store.createQueue(
      'q.fifo',
      'http://127.0.0.1/000000000000/q.fifo',
      'arn:aws:sqs:eu-west-2:000000000000:q.fifo',
      {
        FifoQueue: 'true',
      },
    );
    queues.push(queue);
    waitingPolls(queue, 3);
    queue.enqueue(LocalSqsStore.createMessage('x', undefined, undefined, 'g', 'd1'));
    expect(queue.pollWaiters).toHaveLength(0);
  });
});
