import type { ProviderTotals } from './checker.js';
import type { FuzzReport } from './run.js';

/** The refusals a table breaks out; anything else lands in "other". */
const REFUSALS = [400, 401, 404, 413, 503] as const;

type Row = [label: string, value: (totals: ProviderTotals) => number | string];

const rows: Row[] = [
  ['sent', (t) => t.sent],
  ['… valid / semantic / tampered / forged', (t) => `${t.kinds.valid ?? 0} / ${t.kinds.semantic ?? 0} / ${t.kinds.tampered ?? 0} / ${t.kinds.forged ?? 0}`],
  ['… replay / twin / route / ignored', (t) => `${t.kinds.replay ?? 0} / ${t.kinds.twin ?? 0} / ${t.kinds.route ?? 0} / ${t.kinds.ignored ?? 0}`],
  ['202 accepted', (t) => t.accepted],
  ['200 duplicate', (t) => t.duplicates],
  ['200 handshake / no worker', (t) => `${t.handshakes} / ${t.noWorker}`],
  ...REFUSALS.map((status): Row => [String(status), (t) => t.statuses[status] ?? 0]),
  ['other statuses (must be 0)', (t) => Object.entries(t.statuses).filter(([status]) => ![200, 202, ...REFUSALS].includes(Number(status))).reduce((sum, [, count]) => sum + count, 0)],
  ['changes enqueued', (t) => t.changesEnqueued],
  ['messages processed', (t) => t.messagesProcessed],
  ['outcome applied', (t) => t.outcomes.applied],
  ['outcome skipped', (t) => t.outcomes.skipped],
  ['outcome blocked', (t) => t.outcomes.blocked],
  ['outcome held', (t) => t.outcomes.held],
  ['receives retried', (t) => t.retriedReceives],
  ['violations (must be 0)', (t) => t.violations],
  ['crashes (must be 0)', (t) => t.crashes],
  ['elapsed', (t) => `${(t.elapsedMs / 1000).toFixed(1)} s`],
];

/** Which status each kind of delivery got, per provider: where each mutation ends. */
function variantTable(report: FuzzReport): string[] {
  const variants = [...new Set(report.totals.flatMap((totals) => Object.keys(totals.byVariant)))].sort();
  const cell = (counts: Record<number, number> | undefined) => (counts ? Object.entries(counts).map(([status, count]) => `${status}×${count}`).join(' ') : '');
  return [
    `| delivery | ${report.totals.map((totals) => totals.provider).join(' | ')} |`,
    `|---|${report.totals.map(() => '---').join('|')}|`,
    ...variants.map((variant) => `| ${variant.replaceAll('|', '\\|')} | ${report.totals.map((totals) => cell(totals.byVariant[variant])).join(' | ')} |`),
  ];
}

/** At most this many violations are listed in the summary; all of them are in the JSON file. */
const LISTED_VIOLATIONS = 50;

/** The summary as a Markdown table: one column per provider, one row per measure. */
export function summaryMarkdown(report: FuzzReport, context: { command: string; machine: string }): string {
  const header = `| | ${report.totals.map((totals) => totals.provider).join(' | ')} |`;
  const rule = `|---|${report.totals.map(() => '---:').join('|')}|`;
  const body = rows.map(([label, value]) => `| ${label} | ${report.totals.map(value).join(' | ')} |`);
  const violations = report.violations.length === 0 ? 'None.' : report.violations.slice(0, LISTED_VIOLATIONS).map((violation) => `- ${violation.check} · ${violation.provider}${violation.delivery ? ` · delivery #${violation.delivery.id} (${violation.delivery.kind}: ${violation.delivery.variant})` : ''}: ${violation.message}`).join('\n');
  return [
    '# Fuzz summary',
    '',
    `\`${context.command}\` · seed **${report.seed}** · ${report.perProvider} deliveries per provider · ${context.machine} · ${(report.elapsedMs / 1000).toFixed(1)} s in all`,
    '',
    'Checked after every batch: (a) nothing unsigned, wrongly signed or replayed was enqueued; (b) every change of a 202 reached an outcome on the audit trail;',
    '(c) the server answers /healthz and the workers drain the queues; (d) every answer is a documented status. Outcomes count each accepted change once.',
    '',
    header,
    rule,
    ...body,
    '',
    `Re-evaluations the product enqueued itself: ${report.reevaluations}.`,
    '',
    '## Violations',
    '',
    violations,
    ...(report.violations.length > LISTED_VIOLATIONS ? ['', `… and ${report.violations.length - LISTED_VIOLATIONS} more (bench/fuzz-violations.json).`] : []),
    '',
    '## Answers by kind of delivery',
    '',
    ...variantTable(report),
    '',
  ].join('\n');
}
