import { Logger } from '@aws-lambda-powertools/logger';

/** One logger for every handler; level and service name come from POWERTOOLS_* variables. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'hr-bitwarden-lifecycle' });
