import type { Pool } from '@shop/db';

/** The parts of a node of `EXPLAIN (FORMAT JSON)` the plan tests read. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  /** With ANALYZE. */
  'Actual Rows'?: number;
  /** With BUFFERS; a node's counts include its children's. */
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

/** The plan of `sql`, `EXPLAIN (<options>, FORMAT JSON)`: with ANALYZE the statement runs. */
export async function explain(pool: Pool, sql: string, params: unknown[], options: string[] = []): Promise<PlanNode> {
  const { rows } = await pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    `EXPLAIN (${[...options, 'FORMAT JSON'].join(', ')}) ${sql}`,
    params,
  );
  const plan = rows[0]?.['QUERY PLAN'][0].Plan;
  if (!plan) throw new Error(`no plan for ${sql}`);
  return plan;
}

/** The node and every node under it. */
export const planNodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(planNodes)];

/** The nodes that read `relation` page by page. */
export const sequentialScansOf = (plan: PlanNode, relation: string): PlanNode[] =>
  planNodes(plan).filter((node) => node['Relation Name'] === relation && node['Node Type'] === 'Seq Scan');
