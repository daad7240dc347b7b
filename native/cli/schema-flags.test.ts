import { describe, expect, it } from 'vitest';
import { TextGenerationRequestSchema } from '../contract';
import { UsageError } from './args';
import { flagHint, numberRule, schemaNumberOption } from './schema-flags';

const fields = TextGenerationRequestSchema.shape;

describe('flags read against the contract', () => {
  it('takes integer-ness, range and default from the field’s schema', () => {
    expect(numberRule(fields.maxNewTokens)).toEqual({ integer: true, min: { value: 1, inclusive: true }, max: { value: 32_768, inclusive: true }, default: 128 });
    expect(numberRule(fields.temperature)).toEqual({ integer: false, min: { value: 0, inclusive: false }, max: { value: 10, inclusive: true }, default: undefined });
    expect(flagHint(fields.maxNewTokens)).toBe('1–32768, default 128');
    expect(flagHint(fields.temperature)).toBe('above 0 and at most 10');
  });

  it('accepts what the contract accepts and names the rule otherwise', () => {
    expect(schemaNumberOption('top-p', '0.9', fields.topP)).toBe(0.9);
    expect(schemaNumberOption('top-p', undefined, fields.topP)).toBeUndefined();
    expect(() => schemaNumberOption('top-p', '0', fields.topP)).toThrow(new UsageError('--top-p must be a number above 0 and at most 1, got "0".'));
    expect(() => schemaNumberOption('max-new-tokens', '2.5', fields.maxNewTokens)).toThrow('--max-new-tokens must be an integer from 1 to 32768, got "2.5".');
    expect(() => schemaNumberOption('seed', '', fields.seed)).toThrow('--seed must be an integer from 0 to 4294967295, got "".');
  });
});
