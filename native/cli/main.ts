import { ApiError } from '../contract';
import { UsageError } from './args';
import { BENCH_USAGE, bench } from './bench';
import { ENERGY_USAGE, energy } from './energy';
import { CALIBRATE_USAGE, calibrate } from './calibrate';
import { COMPARE_USAGE, compare } from './compare';
import { GENERATE_IMAGE_USAGE, generateImage } from './generate-image';
import { GENERATE_TEXT_USAGE, generateText } from './generate-text';
import { HISTORY_USAGE, history } from './history';
import { MODELS_USAGE, models } from './models';
import { REPORT_USAGE, report } from './report';
import { SERVE_USAGE, serve } from './serve';

const USAGE = `Pareto Studio — offline stories and images with one quality/efficiency slider.

Usage:
  ${GENERATE_TEXT_USAGE}
  ${GENERATE_IMAGE_USAGE}
  ${COMPARE_USAGE}
  ${MODELS_USAGE}
  ${HISTORY_USAGE}
  ${CALIBRATE_USAGE}
  ${REPORT_USAGE}
  ${BENCH_USAGE}
  ${ENERGY_USAGE}
  ${SERVE_USAGE}
`;

async function dispatch(args: string[]): Promise<number> {
  const [command, subcommand, ...rest] = args;
  switch (command) {
    case 'generate':
      if (subcommand === 'text') return generateText(rest);
      if (subcommand === 'image') return generateImage(rest);
      throw new UsageError(`Unknown generate target "${subcommand ?? ''}"; expected "text" or "image".`);
    case 'compare':
      return compare(args.slice(1));
    case 'models':
      return models(args.slice(1));
    case 'history':
      return history(args.slice(1));
    case 'energy':
      return energy(args.slice(1));
    case 'calibrate':
      return calibrate(args.slice(1));
    case 'report':
      return report(args.slice(1));
    case 'bench':
      return bench(args.slice(1));
    case 'serve':
      return serve(args.slice(1));
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(`Unknown command "${command}". Run "pareto help" for usage.`);
  }
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
