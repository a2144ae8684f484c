// LoaderError: why the loader refused something it was asked to put onto a node (a
// service module, a boot manifest's bytes). It carries three parts for a person: what
// failed, why, and what to do; `message` joins them into one readable sentence.
// Deliberately not for manifest YAML problems (loader/manifest/issues.ts reports those
// with file and line) nor for bugs in the loader itself, which stay plain Errors.
// Thrown by loader/wasm/validate.ts, loader/instrument/fuel.ts and loader/manifest/boot.ts;
// the node host and the `persia` CLI catch it and print `message`.

export class LoaderError extends Error {
  /** What failed, e.g. "service echo.sabz.city". */
  readonly what: string;
  /** Why it failed, e.g. "module imports wasi_snapshot_preview1.fd_write, which ...". */
  readonly why: string;
  /** What to do about it, e.g. "Rebuild it against services/sdk." */
  readonly fix: string;

  constructor(what: string, why: string, fix: string) {
    super(`${what}: ${why}. ${fix}`);
    this.name = "LoaderError";
    this.what = what;
    this.why = why;
    this.fix = fix;
  }
}
