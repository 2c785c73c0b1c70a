// The JSON-lines sinks: stdout (the default, for containers and systemd's journal) and a file the
// lines are appended to. The line is the watch event itself, as watch has always printed it.
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { errorText, type AlertEnvelope, type Sink, type SinkContext, type SinkHealth } from './types.js';

export function lineOf(a: AlertEnvelope): string {
  return JSON.stringify(a.event) + '\n';
}

function lineSink(name: string, ctx: SinkContext, write: (line: string) => Promise<void>): Sink {
  const h: SinkHealth = { name, sent: 0, failed: 0 };
  return {
    name,
    async send(a) {
      try {
        await write(lineOf(a));
        h.sent++;
        if (h.error) ctx.note(`${name}: writing again`);
        delete h.error;
      } catch (err) {
        h.failed++;
        const text = errorText(err);
        if (text !== h.error) ctx.note(`${name}: ${text}`);
        h.error = text;
      }
    },
    health: () => ({ ...h }),
    close: async () => undefined,
  };
}

export function stdoutSink(ctx: SinkContext): Sink {
  return lineSink(
    'stdout',
    ctx,
    (line) =>
      new Promise((resolve, reject) => {
        // EPIPE (the reader went away) is a failure of this sink, not of the watcher.
        process.stdout.write(line, (err) => (err ? reject(err) : resolve()));
      }),
  );
}

export function fileSink(file: string, ctx: SinkContext, name = `file:${file}`): Sink {
  let made = false;
  return lineSink(name, ctx, async (line) => {
    if (!made) await mkdir(path.dirname(file), { recursive: true });
    made = true;
    await appendFile(file, line);
  });
}
