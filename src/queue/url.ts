/**
 * The `--queue` URL: `redis://[:PASSWORD@]HOST[:PORT][/DB]` or `rediss://` (TLS),
 * turned into ioredis options, and its redacted form, the only one that may be
 * printed or written: the password never reaches a log, a run folder or a table.
 */
import type { RedisOptions } from 'ioredis';
import { isIP } from 'node:net';
import { UsageError } from '../train/data.js';

export interface QueueTarget {
  /** ioredis connection options (with the password; never print them). */
  connection: RedisOptions;
  /** The URL with the password replaced by `***`, for messages and files. */
  display: string;
}

/**
 * Parses a `--queue` URL; a UsageError says what is accepted. A URL without a
 * password takes `$GRADFORMER_REDIS_PASSWORD` when set: a password on the command
 * line is visible to every user of the machine in the process list.
 */
export function parseQueueUrl(url: string, flag = '--queue', env: NodeJS.ProcessEnv = process.env): QueueTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`${flag}: not a URL (${redactUrl(url)}); expected redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss://... for TLS`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new UsageError(`${flag}: scheme ${u.protocol} is not Redis; expected redis://HOST[:PORT][/DB] or rediss://HOST[:PORT][/DB] (TLS)`);
  }
  if (!u.hostname) throw new UsageError(`${flag}: no host in ${redactUrl(url)}; expected redis://HOST[:PORT][/DB]`);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new UsageError(`${flag}: database '${dbText}' in ${redactUrl(url)} is not a number >= 0; expected redis://HOST[:PORT]/DB`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const connection: RedisOptions = {
    host, port, db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : env.GRADFORMER_REDIS_PASSWORD ? { password: env.GRADFORMER_REDIS_PASSWORD } : {}),
    // TLS checks the certificate against the host (SNI only for names: Node refuses an IP as server name).
    ...(u.protocol === 'rediss:' ? { tls: isIP(host) ? {} : { servername: host } } : {}),
    // BullMQ's workers block on Redis and must retry for ever while it restarts.
    maxRetriesPerRequest: null,
  };
  return { connection, display: redactUrl(url) };
}

/** The URL with any password (and user) replaced by `***`; a string that is not a URL is cut at its last '@'. */
export function redactUrl(url: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
  const at = url.lastIndexOf('@');
  return at < 0 ? url : `***${url.slice(at)}`;
}

/**
 * Connects once and pings, so that a wrong host, port, password or certificate
 * is one clear error at the start instead of endless reconnection attempts.
 */
export async function checkReachable(t: QueueTarget, timeoutMs = 10_000): Promise<void> {
  const { Redis } = await import('ioredis');
  const r = new Redis({ ...t.connection, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: timeoutMs });
  // The socket's own error (ECONNREFUSED, a certificate problem) says more than the rejection ("Connection is closed").
  let cause = '';
  r.on('error', (e: Error) => { cause ||= e.message; });
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    throw new UsageError(`cannot use the Redis at ${t.display}: ${(cause || (e as Error).message).replace(/\.$/, '')}; check that redis-server runs there and the --queue URL (host, port, password, rediss:// for TLS)`);
  } finally {
    r.disconnect();
  }
}
