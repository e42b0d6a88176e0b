// The Redis/BullMQ plumbing shared by `sim sweep --queue` (sweep/queue.ts) and a giant `sim run --queue`
// (parallel/queueShards.ts): one queue, one URL check, one lazy bullmq import (only these commands load it).

/** The one BullMQ queue: sweep jobs and giant-run shard jobs, so one `bluezone worker` runs both. */
export const QUEUE_NAME = 'bluezone-sweep';

/** Bad --queue URL or Redis not reachable: exit 2 with this message. */
export class QueueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueError';
  }
}

export function parseQueueUrl(url: string): { url: string; host: string; port: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueError(`--queue: expected redis://HOST:PORT, got "${url}"`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new QueueError(`--queue: expected a redis:// or rediss:// URL, got "${url}"`);
  const port = u.port ? Number(u.port) : 6379;
  return { url, host: u.hostname || 'localhost', port };
}

export async function bull(): Promise<typeof import('bullmq')> {
  try {
    return await import('bullmq');
  } catch (e) {
    throw new QueueError(`--queue needs the bullmq package (npm install bullmq ioredis): ${(e as Error).message}`);
  }
}

export function connection(url: string) {
  // maxRetriesPerRequest null: BullMQ's blocking commands must not give up while Redis restarts
  return { url, maxRetriesPerRequest: null };
}

export async function withTimeout<T>(p: Promise<T>, ms: number, msg: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new QueueError(msg)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
