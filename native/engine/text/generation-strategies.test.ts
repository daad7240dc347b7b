import { describe, expect, it } from 'vitest';
import { LogitsProcessorList, MinNewTokensLogitsProcessor, RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper, topIndices } from './logits-processors';
import { EosTokenCriteria, InterruptableStoppingCriteria, MaxContextCriteria, MaxNewTokensCriteria, StoppingCriteriaList } from './stopping-criteria';
import { TextStreamer } from './streamer';
import { GreedyChooser, MultinomialChooser, seededRandom } from './token-chooser';

const logits = (...values: number[]) => Float32Array.from(values);

describe('logits processors', () => {
  it('repetition penalty weakens every token seen, the prompt’s included, once each (as transformers does)', () => {
    const values = logits(4, -2, 3, 1);
    new RepetitionPenaltyLogitsProcessor(2, [0, 0, 1]).process(values, [1, 2]);
    expect([...values]).toEqual([2, -4, 1.5, 1]);
  });

  it('temperature divides every logit', () => {
    const values = logits(2, -4, 1);
    new TemperatureLogitsWarper(2).process(values);
    expect([...values]).toEqual([1, -2, 0.5]);
  });

  it('top-k keeps the k largest, ties at the edge included', () => {
    const values = logits(0.1, 3, 2, 2, -1);
    new TopKLogitsWarper(2).process(values);
    expect([...values]).toEqual([-Infinity, 3, 2, 2, -Infinity]);
    expect(topIndices(logits(5, 9, 1, 7), 3)).toEqual([1, 3, 0]);
  });

  it('top-p keeps the smallest head whose mass reaches p', () => {
    const probabilities = [0.5, 0.3, 0.15, 0.05];
    const values = Float32Array.from(probabilities, Math.log);
    new TopPLogitsWarper(0.8).process(values);
    expect([...values].map((v) => v !== -Infinity)).toEqual([true, true, false, false]);
    const one = Float32Array.from(probabilities, Math.log);
    new TopPLogitsWarper(0.1).process(one);
    expect([...one].filter((v) => v !== -Infinity)).toHaveLength(1);
  });

  it('min-new-tokens blocks the end token only until enough tokens exist', () => {
    const processor = new MinNewTokensLogitsProcessor(2, [2]);
    const early = logits(0, 0, 5);
    processor.process(early, [7]);
    expect(early[2]).toBe(-Infinity);
    const late = logits(0, 0, 5);
    processor.process(late, [7, 8]);
    expect(late[2]).toBe(5);
  });

  it('a list applies its processors in order', () => {
    const values = logits(4, 2, 0);
    new LogitsProcessorList([new TemperatureLogitsWarper(2), new TopKLogitsWarper(1)]).process(values, []);
    expect([...values]).toEqual([2, -Infinity, -Infinity]);
  });
});

describe('token choosers', () => {
  it('greedy takes the first maximum', () => {
    expect(new GreedyChooser().choose(logits(1, 4, 4, 0))).toBe(1);
  });

  it('the seeded source is a fixed sequence', () => {
    const random = seededRandom(42);
    const values = [random(), random(), random()];
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const again = seededRandom(42);
    expect([again(), again(), again()]).toEqual(values);
  });

  it('multinomial sampling follows the distribution and never picks a removed token', () => {
    const chooser = new MultinomialChooser(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[chooser.choose(Float32Array.from([Math.log(0.7), Math.log(0.3), -Infinity]))]!++;
    expect(counts[2]).toBe(0);
    expect(counts[0]! / 4000).toBeGreaterThan(0.65);
    expect(counts[0]! / 4000).toBeLessThan(0.75);
  });
});

describe('stopping criteria', () => {
  it('reports the first reason that applies', () => {
    const controller = new AbortController();
    const criteria = new StoppingCriteriaList([new MaxNewTokensCriteria(3), new EosTokenCriteria([2]), new MaxContextCriteria(5, 8), new InterruptableStoppingCriteria(controller.signal)]);
    expect(criteria.check([5])).toBeNull();
    expect(criteria.check([5, 2])).toBe('eos');
    expect(criteria.check([5, 6, 7])).toBe('length');
    controller.abort();
    expect(criteria.check([5])).toBe('cancelled');
    expect(new MaxContextCriteria(6, 8).check([1, 2])).toBe('context');
  });
});

describe('TextStreamer', () => {
  // A decoder shaped like SentencePiece's: "▁" marks a space and the first one of a sequence is dropped.
  const vocab = ['<s>', '▁Once', '▁upon', ',', '<0xE2>', '<0x9C>', '<0x93>'];
  const decode = (ids: readonly number[]) => {
    const bytes: number[] = [];
    for (const token of ids.map((id) => vocab[id]!).filter((t) => t !== '<s>')) {
      const hex = /^<0x([0-9A-F]{2})>$/.exec(token);
      if (hex) bytes.push(parseInt(hex[1]!, 16));
      else bytes.push(...Buffer.from(token.replaceAll('▁', ' ')));
    }
    return Buffer.from(bytes).toString('utf8').replace(/^ /, '');
  };

  it('keeps word spaces and waits for every byte of a character', () => {
    const pieces: string[] = [];
    const streamer = new TextStreamer(decode, (text) => pieces.push(text), [0, 1]);
    for (const id of [2, 3, 4, 5, 6]) streamer.put([id]);
    streamer.end();
    expect(pieces).toEqual([' upon', ',', '✓']);
  });
});
