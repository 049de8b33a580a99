import type { Target } from './context.js';

/**
 * The exit codes scripts rely on (each command's help and the README, "Admin CLI", say which it uses):
 * 3 means the command worked and its answer needs someone: drift, rules that differ, held changes, dead letters.
 */
export const ExitCode = { ok: 0, failure: 1, usage: 2, attention: 3 } as const;

/** A command line that cannot work (exit 2), with what to type instead. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly hint: string | null = null,
  ) {
    super(message);
  }
}

/** How a failure is told: a message, what to do about it, the exit code, and a stack only for what is a bug. */
export interface Failure {
  message: string;
  hint: string | null;
  exitCode: typeof ExitCode.failure | typeof ExitCode.usage;
  stack: string | null;
}

const AWS_REFUSED = /AccessDenied|NotAuthorized|UnrecognizedClient|InvalidClientTokenId|ExpiredToken|InvalidSignature|SignatureDoesNotMatch/;

/** The one hint for a CLI that does not know where the product runs. */
const TARGET_HINT = 'Start the local runtime (npm start), or name the deployed stack: --stack HrBitwardenLifecycle-<stage> (README, "Admin CLI").';

/**
 * Every error a command can meet, told without a stack trace: errors are recognized by their
 * name, because their classes live in modules only the commands that meet them load.
 * Only JavaScript's own errors (TypeError, RangeError, …) mean a bug, and keep their stack.
 */
export function failureOf(error: unknown, target: Target | null): Failure {
  if (!(error instanceof Error)) return { message: String(error), hint: null, exitCode: ExitCode.failure, stack: null };
  const told = (hint: string | null, exitCode: Failure['exitCode'] = ExitCode.failure): Failure => ({ message: error.message, hint, exitCode, stack: null });
  const withHint = error as Error & { hint?: string | null; code?: unknown; $metadata?: unknown };
  switch (error.name) {
    case 'UsageError':
      return told(withHint.hint ?? null, ExitCode.usage);
    case 'StackTargetError':
      return told(withHint.hint ?? null);
    case 'ConfigError':
      return told(null);
    case 'MissingSettingError':
      return told(target?.kind === 'stack' ? `Stack ${target.name} should name it: deploy it again from this version.` : TARGET_HINT);
    case 'CredentialsProviderError':
      return told('No AWS credentials were found: pass --profile NAME or set AWS_PROFILE; `aws sts get-caller-identity` must work.');
  }
  if (AWS_REFUSED.test(error.name)) return told('AWS refused the call: use credentials (--profile) allowed to read the stack, its tables, queues and secrets (docs/deploy.md, "Prerequisites").');
  if (withHint.$metadata) return told(null);
  if (withHint.code === 'ECONNREFUSED' && target?.kind === 'local') return told('npm start stopped answering: start it again.');
  if (typeof withHint.code === 'string') return told(null);
  const bug = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError].some((kind) => error instanceof kind);
  return { message: error.message, hint: null, exitCode: ExitCode.failure, stack: bug ? (error.stack ?? null) : null };
}
