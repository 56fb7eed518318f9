import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { SseClient } from './sse-client.js';

/** A real Writable whose consumer the test drives: each chunk waits until `release()`. */
function slowSink(highWaterMark = 4) {
  const written: string[] = [];
  const held: (() => void)[] = [];
  const sink = new Writable({
    highWaterMark,
    decodeStrings: false,
    write(chunk: string, _encoding, callback) {
      written.push(chunk);
      held.push(() => callback());
    },
  });
  return {
    sink,
    written,
    /** Lets the consumer take every chunk it was given so far (and the ones that follow, in the same turn). */
    async release(): Promise<void> {
      while (held.length > 0) {
        held.shift()!();
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

const dropped = (count: number, after: number): string => `dropped ${count} after ${after}\n`;
const frame = (id: number): string => `frame ${id}\n`;

describe('SseClient', () => {
  it('writes straight through while the sink takes frames', async () => {
    const { sink, written, release } = slowSink(1_000);
    const client = new SseClient(sink, 2, dropped, 0);
    for (let id = 1; id <= 5; id++) client.push(id, frame(id));
    await release();
    expect(written).toEqual([1, 2, 3, 4, 5].map(frame));
    expect(client.queued).toBe(0);
  });

  it('queues at most `limit` frames while the sink is full, then drops them all and says how many after which id', async () => {
    const { sink, written, release } = slowSink(4);
    const client = new SseClient(sink, 3, dropped, 0);
    client.push(1, frame(1)); // over the high-water mark: the sink is now full
    for (let id = 2; id <= 4; id++) client.push(id, frame(id));
    expect(client.queued).toBe(3);
    client.push(5, frame(5)); // the queue is full: 2..5 are dropped
    expect(client.queued).toBe(0);
    expect(client.droppedTotal).toBe(4);
    client.push(6, frame(6));
    client.push(7, frame(7));
    expect(client.queued).toBe(2);
    await release();
    expect(written).toEqual([frame(1), dropped(4, 1), frame(6), frame(7)]);
    expect(client.queued).toBe(0);
  });

  it('keeps counting across several overflows before the sink drains', async () => {
    const { sink, written, release } = slowSink(4);
    const client = new SseClient(sink, 1, dropped, 10);
    client.push(11, frame(11));
    for (let id = 12; id <= 20; id++) client.push(id, frame(id));
    await release();
    expect(written[0]).toBe(frame(11));
    expect(written[1]).toMatch(/^dropped \d+ after 11\n$/);
    const count = Number(/dropped (\d+)/.exec(written[1]!)![1]);
    // What was not dropped was delivered after the marker: nothing is lost without being counted.
    expect(count + written.length - 2).toBe(9);
    expect(client.droppedTotal).toBe(count);
  });

  it('sends heartbeats only when nothing is waiting, and nothing after close', async () => {
    const { sink, written, release } = slowSink(4);
    const client = new SseClient(sink, 5, dropped, 0);
    client.heartbeat(': hb\n\n');
    client.push(1, frame(1));
    client.push(2, frame(2));
    client.heartbeat(': hb\n\n'); // frame 2 is waiting: skipped
    await release();
    expect(written).toEqual([': hb\n\n', frame(1), frame(2)]);
    client.close();
    client.push(3, frame(3));
    client.heartbeat(': hb\n\n');
    expect(client.isClosed).toBe(true);
    expect(sink.writableEnded).toBe(true);
    expect(written).toHaveLength(3);
  });

  it('writes a replay past the queue, and names its last id as the resync point', async () => {
    const { sink, written, release } = slowSink(4);
    const client = new SseClient(sink, 1, dropped, 0);
    client.writeDirect('replay of 1..50\n', 50);
    client.push(51, frame(51));
    client.push(52, frame(52)); // queue of 1 full: dropped after 50
    await release();
    expect(written).toEqual(['replay of 1..50\n', dropped(2, 50)]);
  });
});
