// The console of record until Slack is configured: notices go to the log (and are already on the case timeline).
import type { ConsoleNotice, Logger, ManagerConsole } from '../core/ports';

export class LogConsole implements ManagerConsole {
  readonly delivered: ConsoleNotice[] = [];
  constructor(
    private readonly log: Logger,
    /** Keep the last notices in memory for inspection (tests, debugging); 0 disables. */
    private readonly keep = 0,
  ) {}

  async deliver(notice: ConsoleNotice): Promise<void> {
    // The text quotes clients (a feature request, a contact's name): it stays out of info-level logs.
    this.log.info({ notice: notice.type, caseNumber: notice.caseNumber, managerIds: notice.managerIds, toLead: notice.toLead }, 'console notice');
    this.log.debug({ notice: notice.type, caseNumber: notice.caseNumber, text: notice.text }, 'console notice text');
    if (this.keep) {
      this.delivered.push(notice);
      if (this.delivered.length > this.keep) this.delivered.shift();
    }
  }
}
