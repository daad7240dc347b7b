// Every subcommand's usage, apart from its code, so `pareto help` prints them without loading the engine.
import { EXECUTION_PROVIDERS, HISTORY_KINDS, IMAGE_SCHEDULERS, ImageGenerationRequestSchema, TextGenerationRequestSchema } from '../contract';
import { MODEL_SHAPES } from '../bench/synthetic-model';
import { TEXT_PEERS } from '../bench/text-peers';
import { flagHint } from './schema-flags';

const text = TextGenerationRequestSchema.shape;
const image = ImageGenerationRequestSchema.shape;

export const GENERATE_TEXT_USAGE = `pareto generate text [--model DIR|ID] --prompt S [--max-new-tokens N (${flagHint(text.maxNewTokens)})] [--lambda L]
    [--greedy | --temperature T (${flagHint(text.temperature)}) --top-k K --top-p P (${flagHint(text.topP)}) --min-p M --seed S]
    [--repetition-penalty R (${flagHint(text.repetitionPenalty)})] [--stop S ...]
    [--presence-penalty P --frequency-penalty F] [--logprobs N (with --json: each token's log-probability and N alternatives)]
    [--precision P --depth D --window W|auto --sinks G --dynamic-precision CHEAP:FULL[:ENTROPY]]
    [--ep ${EXECUTION_PROVIDERS.join('|')}] [--json]`;
export const GENERATE_IMAGE_USAGE = `pareto generate image [--model DIR|ID] [--lambda L] --prompt S [--negative-prompt S] [--steps N (${flagHint(image.steps)})] [--guidance G (${flagHint(image.guidance)})] [--seed S]
    [--batch N (${flagHint(image.batch)}) | --seeds S1,S2,…]
    [--scheduler ${IMAGE_SCHEDULERS.join('|')}] [--precision P | --dynamic-precision CHEAP:FULL[:CHEAP_STEPS]]
    [--width W --height H] [--cfg auto|batched|two-pass] [--ep ${EXECUTION_PROVIDERS.join('|')}] --out FILE.png [--json]
  A batch writes FILE-1.png … FILE-N.png in seed order (seed, seed+1, … or the --seeds given); --json prints one line per image.`;
export const COMPARE_USAGE = `pareto compare text|image --prompt S [--seed N] [--lambda L1,L2,…] [--point MODEL[:PRECISION[:DEPTH|STEPS]] …]
    [--max-new-tokens N --temperature T --top-k K --top-p P] [--negative-prompt S --guidance G] [--ep ${EXECUTION_PROVIDERS.join('|')}]
    [--out GRID.png] [--json]`;
export const MODELS_USAGE = 'pareto models list|import DIR|verify ID|remove ID [--json]';
export const HISTORY_USAGE = `pareto history list [--search WORDS] [--kind ${HISTORY_KINDS.join('|')}] [--model ID] [--limit N] [--offset N] [--json]
  pareto history show ID [--json]
  pareto history delete ID [--json]`;
export const CALIBRATE_USAGE = `pareto calibrate [--family ID] [--kind text|image] [--repeats N] [--tokens N] [--ep ${EXECUTION_PROVIDERS.join('|')}] [--json]`;
export const REPORT_USAGE = `pareto report [--family ID …] [--out DIR] [--quick] [--ep ${EXECUTION_PROVIDERS.join('|')}] [--json]`;
export const BENCH_USAGE = `pareto bench text [--model DIR --safetensors DIR] [--new-tokens N] [--repeats R] [--prompt S]
    [--peers ${TEXT_PEERS.join(',')}|none] [--ep EP] [--json]
  pareto bench text --model-shape ${MODEL_SHAPES.join('|')} [--new-tokens N] [--repeats R] [--peers transformersJs|none] [--json]
  pareto bench image [--repeats R] [--ep EP] [--json]`;
export const ENERGY_USAGE = `pareto energy [--json]
  pareto energy controller [--on|--off] [--battery-shift L] [--latency-ms-per-token N|off] [--latency-s-per-image N|off]
    [--energy-j-per-token N|off] [--energy-j-per-image N|off] [--json]`;
export const SERVE_USAGE = 'pareto serve [--port N] [--model DIR ...]';
