import { bold, dim, red, tint } from './terminal-style';

// Wide enough for the longest service name, so every line's text starts in the same column.
const LABEL_WIDTH = 9;

/** `name      │ `, coloured per name: what every line of the stack's output starts with. */
export function linePrefix(name: string, colorIndex: number): string {
  return `${tint(colorIndex, name.padEnd(LABEL_WIDTH))} ${dim('│')} `;
}

const STACK_PREFIX = `${bold('stack'.padEnd(LABEL_WIDTH))} ${dim('│')} `;

/** The stack's own messages, on the same footing as the services' lines. */
export const stackOutput = {
  info(message: string): void {
    process.stdout.write(`${STACK_PREFIX}${message}\n`);
  },
  error(message: string): void {
    process.stderr.write(`${STACK_PREFIX}${red(message)}\n`);
  },
};
