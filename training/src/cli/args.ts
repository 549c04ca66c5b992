// Small helpers shared by the training CLIs: flag parsing with --help, typed flag values, usage errors,
// and the command line as typed.
import { parseArgs, type ParseArgsConfig } from "node:util";

/** The parsed values of flags O (plus --help). */
type Flags<O extends NonNullable<ParseArgsConfig["options"]>> = ReturnType<
  typeof parseArgs<{ options: O & typeof COMMON; strict: true; allowPositionals: false; args: string[] }>
>["values"];

/** The flags every training CLI has. */
const COMMON = { help: { type: "boolean", short: "h" } } as const;

/**
 * Parses the command line's flags (no positionals; unknown flags are usage errors). With --help it
 * prints `help` and returns null: the CLI has nothing else to do.
 */
export function parseFlags<O extends NonNullable<ParseArgsConfig["options"]>>(options: O, help: string, args: string[] = process.argv.slice(2)): Flags<O> | null {
  const { values } = parseArgs({ options: { ...options, ...COMMON }, strict: true, allowPositionals: false, args });
  if ((values as { help?: boolean }).help === true) {
    process.stdout.write(`${help}\n`);
    return null;
  }
  return values as Flags<O>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function intFlag(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

export function floatFlag(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got "${value}"`);
  return n;
}

export function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${name} must be one of ${allowed.join(", ")}, got "${value}"`);
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The command as the user ran it: `npm run <script> -- args` under npm, else `tsx <script file> args`. */
export function commandLine(script: string, scriptFile: string, args: string[] = process.argv.slice(2)): string {
  const quoted = args.map(shellQuote).join(" ");
  const viaNpm = process.env.npm_lifecycle_event === script;
  const head = viaNpm ? `npm run ${script}${args.length > 0 ? " --" : ""}` : `tsx ${scriptFile}`;
  return quoted.length > 0 ? `${head} ${quoted}` : head;
}

/** Runs main: usage errors exit 2, other errors exit 1; one line each (the stack too when DEBUG is set). */
export function runCli(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const parseError = err instanceof Error && String((err as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS");
    if (err instanceof UsageError || parseError) {
      process.stderr.write(`error: ${(err as Error).message}\n(see --help)\n`);
      process.exitCode = 2;
    } else {
      const detail = err instanceof Error ? (process.env.DEBUG ? (err.stack ?? err.message) : err.message) : String(err);
      process.stderr.write(`error: ${detail}\n`);
      process.exitCode = 1;
    }
  });
}
