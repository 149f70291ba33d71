import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** Streams the chunks through a COPY FROM STDIN statement, honouring backpressure; resolves when the server has them all. */
export async function copyInto(client: pg.PoolClient, copySql: string, chunks: Iterable<string>): Promise<void> {
  const stream = client.query(copyFrom(copySql));
  const done = finished(stream);
  done.catch(() => {}); // awaited below; this only keeps an early failure from counting as unhandled
  for (const chunk of chunks) {
    if (stream.destroyed || stream.errored) break;
    if (!stream.write(chunk)) {
      const drained = once(stream, 'drain');
      drained.catch(() => {});
      await Promise.race([drained, done]);
    }
  }
  if (!stream.destroyed) stream.end();
  await done;
}
