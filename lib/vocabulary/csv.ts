/**
 * Rows as CSV for people who open it in a spreadsheet: a header of the first row's keys, every
 * cell quoted, and a leading = + - @ neutralized so a spreadsheet never runs a cell as a formula
 * (a library's default quoting does not do that, which is why this stays here).
 */
export function csvOf<Row extends object>(rows: readonly Row[]): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]!);
  const cell = (value: unknown) => {
    const text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    return `"${(/^[=+\-@]/.test(text) ? `'${text}` : text).replaceAll('"', '""')}"`;
  };
  return `${columns.join(',')}\n${rows.map((row) => columns.map((column) => cell((row as Record<string, unknown>)[column])).join(',')).join('\n')}\n`;
}
