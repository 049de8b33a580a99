/** Defaults for processes run on this machine (npm start, the CLI); never in Lambda. Import it first. */

/**
 * The AWS SDK warns on every process that its 2027 releases will need Node 22. Lambda runs Node 22;
 * on this Node 20 machine the warning is noise on every local command, so use the SDK's own switch.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Locally, metrics (CloudWatch EMF lines) would flood the console; set POWERTOOLS_METRICS_DISABLED=false to see them. */
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
