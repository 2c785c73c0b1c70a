// The one error collectSnapshot rejects with, in a module of its own so the command line can tell it
// apart without loading the collectors (issue 17: start-up time).

/** The root itself is unusable (missing, not a directory): a usage error, not an empty host. */
export class CollectRootError extends Error {
  constructor(
    readonly root: string,
    options: { cause: unknown },
  ) {
    super(
      `cannot read target root ${root}: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`,
      options,
    );
    this.name = 'CollectRootError';
  }
}
