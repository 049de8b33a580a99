/** The benchmark's own output is its report: the product logs only warnings and errors. Imported before anything that logs. */
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
