// The receiver's typed errors: a stable code, a message for the operator, every problem found, and the
// exit code the ssh client sees. main.ts turns them into the one JSON result line.

export type DeployErrorCode =
  | "usage"
  | "too_large"
  | "bad_archive"
  | "truncated"
  | "unsigned"
  | "bad_signature"
  | "invalid_package"
  | "not_found"
  | "busy"
  | "runtime_refused"
  | "config"
  | "internal";

export class DeployError extends Error {
  constructor(
    readonly code: DeployErrorCode,
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = "DeployError";
  }

  /** 2 for a command this key may not run, 1 for everything refused or failed. */
  get exitCode(): number {
    return this.code === "usage" ? 2 : 1;
  }

  toJson(): { code: DeployErrorCode; message: string; problems: string[] } {
    return { code: this.code, message: this.message, problems: this.problems };
  }
}

export function toDeployError(err: unknown): DeployError {
  if (err instanceof DeployError) return err;
  return new DeployError("internal", err instanceof Error ? err.message : String(err));
}
