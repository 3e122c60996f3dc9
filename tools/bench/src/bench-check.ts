/** One line of the bench's results: a measured figure against its target (`ok` null: reported only). */
export interface Check {
  what: string;
  measured: string;
  target: string;
  ok: boolean | null;
}
