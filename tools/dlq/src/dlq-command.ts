import { CONSUMER_QUEUES } from '@shop/catalog';
import type { DeadLetter, DeadLetterStore } from './dead-letter-store';

const USAGE = `usage: npm run dlq -- <command>
  list                          dead letters waiting, per consumer queue
  show [<message id>] [--queue <q>]   the dead letters with their reason, attempts and original routing
  replay [<message id>] [--queue <q>] send them back to the consumer that failed them
  purge --queue <q> | --all     delete them
consumer queues: ${CONSUMER_QUEUES.join(', ')}`;

export class UsageError extends Error {}

export interface ParsedCommand {
  command: 'list' | 'show' | 'replay' | 'purge' | 'help';
  messageId?: string;
  queues: string[];
  all: boolean;
}

export function parseArguments(args: string[]): ParsedCommand {
  const [command = 'help', ...rest] = args;
  if (!['list', 'show', 'replay', 'purge', 'help', '--help', '-h'].includes(command))
    throw new UsageError(`unknown command ${command}\n${USAGE}`);
  const known: readonly string[] = CONSUMER_QUEUES;
  let queues: string[] = [...known];
  let messageId: string | undefined;
  let all = false;
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i]!;
    if (arg === '--queue') {
      const queue = rest[++i];
      if (!queue || !known.includes(queue)) throw new UsageError(`--queue expects one of ${known.join(', ')}`);
      queues = [queue];
    } else if (arg === '--all') {
      all = true;
    } else if (!arg.startsWith('-') && !messageId) {
      messageId = arg;
    } else {
      throw new UsageError(`unexpected argument ${arg}\n${USAGE}`);
    }
  }
  if (command === 'purge' && queues.length !== 1 && !all) throw new UsageError('purge needs --queue <q> or --all');
  return { command: command.startsWith('-') ? 'help' : (command as ParsedCommand['command']), messageId, queues, all };
}

export async function runCommand(parsed: ParsedCommand, store: DeadLetterStore, write: (line: string) => void): Promise<void> {
  switch (parsed.command) {
    case 'help':
      write(USAGE);
      return;
    case 'list':
      for (const queue of parsed.queues) {
        const depth = await store.depth(queue);
        write(`${queue.padEnd(28)} ${depth === undefined ? 'no dead-letter queue yet' : `${depth} dead letter${depth === 1 ? '' : 's'}`}`);
      }
      return;
    case 'show': {
      let shown = 0;
      for (const queue of parsed.queues) {
        for (const letter of await store.peek(queue)) {
          if (parsed.messageId && letter.messageId !== parsed.messageId) continue;
          write(describe(letter));
          shown += 1;
        }
      }
      if (shown === 0) write(parsed.messageId ? `no dead letter with message id ${parsed.messageId}` : 'no dead letters');
      return;
    }
    case 'replay': {
      for (const queue of parsed.queues) {
        const replayed = await store.replay(queue, parsed.messageId);
        if (replayed > 0) write(`${queue}: ${replayed} replayed`);
      }
      return;
    }
    case 'purge':
      for (const queue of parsed.queues) write(`${queue}: ${await store.purge(queue)} purged`);
      return;
  }
}

function describe(letter: DeadLetter): string {
  return [
    `${letter.queue}  ${letter.messageId || '(no message id)'}  ${letter.type}`,
    `  error:    ${letter.error}`,
    `  attempts: ${letter.attempts}   failed at: ${letter.failedAt}`,
    `  from:     exchange ${JSON.stringify(letter.originalExchange)} routing key ${JSON.stringify(letter.originalRoutingKey)}`,
    `  body:     ${letter.body.length > 500 ? `${letter.body.slice(0, 500)}…` : letter.body}`,
  ].join('\n');
}
