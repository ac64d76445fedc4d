// Jest reporter, added by jest.config.js only when PostgreSQL did not answer: repeats, after
// the summary, that the e2e suite did not run on PostgreSQL, so that it cannot scroll away.
class PostgresSkippedReporter {
  constructor(_globalConfig, options) {
    this.reason = options.reason;
  }

  onRunComplete() {
    process.stderr.write(`\n*** PostgreSQL e2e project SKIPPED: ${this.reason}\n`);
  }
}

module.exports = PostgresSkippedReporter;
