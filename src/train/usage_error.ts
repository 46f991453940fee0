/** A user error (bad option, unknown name, impossible combination): the CLI prints it without a stack. Node-free (runconfig.ts runs in the web page). */
export class UsageError extends Error {
  constructor(msg: string) { super(msg); this.name = 'UsageError'; }
}
