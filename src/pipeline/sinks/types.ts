// What every alert sink shares: the envelope an event travels in (the watch event plus a stable id,
// the host and the time), the sink contract (send never throws, failures become health), and the
// context the CLI gives the sinks (TLS files, the queue directory, the language, a note function).
import { createHash } from 'node:crypto';
import type { Lang } from '../../model/finding.js';
import type { WatchEvent } from '../watch-state.js';

export interface AlertEnvelope {
  /**
   * sha256 of the event, shortened: the same event always has the same id, so a receiver can drop a
   * copy (sent as `Idempotency-Key` by the HTTP sinks and as `id` in the structured data).
   */
  id: string;
  host: string;
  /** When the watcher emitted it (ISO 8601). */
  time: string;
  event: WatchEvent;
}

export function envelopeOf(event: WatchEvent, host: string, time: Date): AlertEnvelope {
  const id = createHash('sha256').update(JSON.stringify(event)).digest('hex').slice(0, 32);
  return { id, host, time: time.toISOString(), event };
}

/** A sink's condition as the health line shows it. */
export interface SinkHealth {
  name: string;
  sent: number;
  failed: number;
  /** Waiting in the on-disk queue (queued sinks only). */
  queued?: number;
  /** Dropped because the queue was full (oldest first). */
  dropped?: number;
  /** The last error, cleared by the next success. */
  error?: string;
}

export interface Sink {
  readonly name: string;
  /** Hands one alert over; never throws (a failure is counted and shown in health()). */
  send(alert: AlertEnvelope): Promise<void>;
  health(): SinkHealth;
  /** Waits (up to `ms`) for what is queued to be delivered, then lets go of sockets and timers. */
  close(ms?: number): Promise<void>;
}

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface SinkContext {
  /** Directory for the on-disk queues (beside the watch state). */
  queueDir: string;
  tls: TlsFiles;
  lang: Lang;
  host: string;
  toolVersion: string;
  /** A health note for stderr (a sink failing or recovering). */
  note: (text: string) => void;
}

/** The short, single-line form of an error for the health line. */
export function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const text =
    e?.code && !String(e.message).includes(e.code) ? `${e.code} ${e.message}` : String(e?.message ?? err);
  return text.replace(/\s+/g, ' ').slice(0, 200);
}

/** A URI with its user and password left out, for notes and the health line. */
export function redact(uri: string): string {
  return uri.replace(/\/\/[^/@]*@/, '//***@');
}
