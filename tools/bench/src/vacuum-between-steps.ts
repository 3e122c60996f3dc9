import { withClient } from './database-client';

/**
 * A server with autovacuum on (PostgreSQL's default) cleans the services' tables while they run;
 * one with it off lets every step run on the dead rows of all the steps before it, so later steps
 * measure bloat as much as the code. Where the server has autovacuum off, the bench stands in for
 * it: `VACUUM (ANALYZE)` of the five databases before each measured step, outside the step's time.
 */
export class VacuumBetweenSteps {
  private constructor(
    readonly needed: boolean,
    private readonly databaseUrls: readonly string[],
  ) {}

  static async forServer(postgresUrl: string, databaseUrls: readonly string[]): Promise<VacuumBetweenSteps> {
    const setting = await withClient(
      postgresUrl,
      async (client) => (await client.query<{ autovacuum: string }>('SHOW autovacuum')).rows[0]?.autovacuum,
    );
    return new VacuumBetweenSteps(setting !== 'on', databaseUrls);
  }

  async run(): Promise<void> {
    if (!this.needed) return;
    for (const url of this.databaseUrls) await withClient(url, (client) => client.query('VACUUM (ANALYZE)'));
  }
}
