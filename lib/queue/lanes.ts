import type { WorkerEventMessage } from './message.js';
import type { Lane } from './queues.js';

/** Which lane a message travels: anything that can lead to a revocation goes urgent. */
export function laneOf(message: Pick<WorkerEventMessage, 'subject'>): Lane {
  const { subject } = message;
  switch (subject.kind) {
    case 'removed':
      return 'urgent';
    case 'reevaluate':
      return subject.urgent ? 'urgent' : 'events';
    case 'fetch':
      return subject.mayRevoke ? 'urgent' : 'events';
    case 'record': {
      const worker = subject.worker;
      return worker.status === 'terminated' || worker.status === 'on_leave' || worker.terminationDate || worker.endDate ? 'urgent' : 'events';
    }
  }
}
