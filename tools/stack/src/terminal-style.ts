/**
 * Colours for a terminal, none for a pipe or a file (CI logs, tests), following the NO_COLOR and
 * FORCE_COLOR conventions.
 */
const useColor = (() => {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return process.stdout.isTTY === true;
})();

const PALETTE = [36, 33, 35, 32, 34, 96, 93] as const; // cyan, yellow, magenta, green, blue, bright cyan, bright yellow

function paint(code: number, text: string): string {
  return useColor ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export const bold = (text: string) => paint(1, text);
export const red = (text: string) => paint(31, text);
export const dim = (text: string) => paint(2, text);

/** A colour of its own for the i-th name. */
export function tint(index: number, text: string): string {
  return paint(PALETTE[index % PALETTE.length] ?? 37, text);
}
