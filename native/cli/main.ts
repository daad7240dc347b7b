import { ApiError } from '../contract';
import { UsageError } from './args';
import { BENCH_USAGE, CALIBRATE_USAGE, COMPARE_USAGE, ENERGY_USAGE, GENERATE_IMAGE_USAGE, GENERATE_TEXT_USAGE, HISTORY_USAGE, MODELS_USAGE, REPORT_USAGE, SERVE_USAGE } from './usage';

type Run = (args: string[]) => Promise<number>;

interface Command {
  /** The words that name it: `generate text`, `models`. */
  name: string;
  usage: string;
  /** Loaded only when the command runs, so `pareto help` never loads the engine. */
  load(): Promise<Run>;
}

// One line per command; `pareto help` lists them in this order.
const COMMANDS: readonly Command[] = [
  { name: 'generate text', usage: GENERATE_TEXT_USAGE, load: async () => (await import('./generate-text')).generateText },
  { name: 'generate image', usage: GENERATE_IMAGE_USAGE, load: async () => (await import('./generate-image')).generateImage },
  { name: 'compare', usage: COMPARE_USAGE, load: async () => (await import('./compare')).compare },
  { name: 'models', usage: MODELS_USAGE, load: async () => (await import('./models')).models },
  { name: 'history', usage: HISTORY_USAGE, load: async () => (await import('./history')).history },
  { name: 'calibrate', usage: CALIBRATE_USAGE, load: async () => (await import('./calibrate')).calibrate },
  { name: 'report', usage: REPORT_USAGE, load: async () => (await import('./report')).report },
  { name: 'bench', usage: BENCH_USAGE, load: async () => (await import('./bench')).bench },
  { name: 'energy', usage: ENERGY_USAGE, load: async () => (await import('./energy')).energy },
  { name: 'serve', usage: SERVE_USAGE, load: async () => (await import('./serve')).serve },
];

const HELP = new Set([undefined, 'help', '--help', '-h']);

function usage(): string {
  return `Pareto Studio — offline stories and images with one quality/efficiency slider.\n\nUsage:\n${COMMANDS.map((command) => `  ${command.usage}\n`).join('')}`;
}

/** The command the arguments name, and the arguments left for it. */
function findCommand(args: string[]): { command: Command; rest: string[] } {
  for (const command of COMMANDS) {
    const words = command.name.split(' ');
    if (words.every((word, index) => args[index] === word)) return { command, rest: args.slice(words.length) };
  }
  const [first, second] = args;
  const targets = COMMANDS.filter((command) => command.name.startsWith(`${first} `)).map((command) => `"${command.name.split(' ')[1]}"`);
  if (targets.length) throw new UsageError(`Unknown ${first} target "${second ?? ''}"; expected ${targets.join(' or ')}.`);
  throw new UsageError(`Unknown command "${first}". Run "pareto help" for usage.`);
}

async function dispatch(args: string[]): Promise<number> {
  if (HELP.has(args[0])) {
    process.stdout.write(usage());
    return 0;
  }
  const { command, rest } = findCommand(args);
  return (await command.load())(rest);
}

/** Runs the CLI; bad input gives one line on stderr and a non-zero exit, never a stack trace. */
export async function main(args: string[]): Promise<number> {
  try {
    return await dispatch(args);
  } catch (error) {
    const message = error instanceof UsageError || error instanceof ApiError ? error.message : `unexpected error: ${(error as Error).message}`;
    process.stderr.write(`pareto: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}
