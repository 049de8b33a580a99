/** Output for humans (aligned tables) or scripts (`--json`). */
export interface Output {
  json: boolean;
  /** Prints `text` for humans, `data` as JSON for scripts. */
  print(text: string, data: unknown): void;
}

export function output(json: boolean): Output {
  return { json, print: (text, data) => process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`) };
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
