/** How the terminal may be written to: colour only where main.ts found a terminal and no NO_COLOR. */
export interface Terminal {
  stdoutColour: boolean;
  stderrColour: boolean;
}

/** Output for humans (aligned tables) or scripts (`--json`: one JSON document on stdout, errors included). */
export interface Output {
  json: boolean;
  /** Prints `text` for humans, `data` as JSON for scripts. */
  print(text: string, data: unknown): void;
  /** Rows as an aligned text table under a header row (bold on a colour terminal). */
  table(header: string[], rows: Array<Array<string | number | null | undefined>>): string;
  /** A failure: `lifecycle: message` and what to do on stderr, or `{"error", "hint"}` on stdout with `--json`. */
  error(message: string, hint?: string | null, data?: Record<string, unknown>): void;
}

const ansi = (code: number, on: boolean) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
export const bold = (on: boolean) => ansi(1, on);
const red = (on: boolean) => ansi(31, on);

export function output(json: boolean, terminal: Terminal): Output {
  const header = bold(terminal.stdoutColour);
  return {
    json,
    print: (text, data) => process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`),
    table: (columns, rows) => {
      const [top = '', ...rest] = table(columns, rows).split('\n');
      return [header(top), ...rest].join('\n');
    },
    error: (message, hint, data) => {
      if (json) process.stdout.write(`${JSON.stringify({ error: message, ...(hint ? { hint } : {}), ...data }, null, 2)}\n`);
      else process.stderr.write(`${red(terminal.stderrColour)('lifecycle:')} ${message}\n${hint ? `${hint}\n` : ''}`);
    },
  };
}

/** Rows as an aligned text table under a header row. */
export function table(header: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [header, ...rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells.map((row) => row.map((cell, column) => (cell ?? '').padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

/** Progress of a long operation, on the terminal only (stderr stays clean for scripts). */
export function progress(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K… ${message}`);
}

export function progressDone(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
}

/** A progress bar on the terminal only: `[######------] 1,200/5,000 label`. */
export function progressBar(done: number, total: number, label: string): void {
  if (!process.stderr.isTTY || total <= 0) return;
  const width = 24;
  const filled = Math.round((Math.min(done, total) / total) * width);
  process.stderr.write(`\r\x1b[2K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${label}`);
}
