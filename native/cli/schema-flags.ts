// CLI flags read against the contract's own schemas, so a flag's range, integer-ness and default are
// written once (in native/contract) and the CLI, the API and the UI refuse the same values.
import type { z } from 'zod';
import { UsageError } from './args';

interface NumberRule {
  integer: boolean;
  min: { value: number; inclusive: boolean } | null;
  max: { value: number; inclusive: boolean } | null;
  default: number | undefined;
}

type CheckDef = { check?: string; value?: number; inclusive?: boolean; format?: string };
type SchemaDef = { type: string; innerType?: z.ZodType; defaultValue?: unknown; checks?: { _zod: { def: CheckDef } }[] };

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;

/** The number a field accepts, read from its schema (through `.optional()` and `.default()`). */
export function numberRule(field: z.ZodType): NumberRule {
  let def = defOf(field);
  let fallback: number | undefined;
  while (def.innerType) {
    if (def.type === 'default' && typeof def.defaultValue === 'number') fallback = def.defaultValue;
    def = defOf(def.innerType);
  }
  if (def.type !== 'number') throw new Error(`numberRule: the field is a ${def.type}, not a number`);
  const rule: NumberRule = { integer: false, min: null, max: null, default: fallback };
  for (const { _zod } of def.checks ?? []) {
    const { check, value, inclusive = true, format } = _zod.def;
    if (check === 'number_format' && format?.endsWith('int')) rule.integer = true;
    if (check === 'greater_than' && value !== undefined) rule.min = { value, inclusive };
    if (check === 'less_than' && value !== undefined) rule.max = { value, inclusive };
  }
  return rule;
}

/** "an integer from 1 to 32768", "a number above 0 and at most 10". */
function describeRule(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  const { min, max } = rule;
  if (min?.inclusive && max?.inclusive) return `${kind} from ${min.value} to ${max.value}`;
  const bounds = [min && `${min.inclusive ? 'at least' : 'above'} ${min.value}`, max && `${max.inclusive ? 'at most' : 'below'} ${max.value}`].filter(Boolean);
  return bounds.length ? `${kind} ${bounds.join(' and ')}` : kind;
}

/** A flag's range and default for its usage line: "1–32768, default 128". */
export function flagHint(field: z.ZodType): string {
  const rule = numberRule(field);
  const range = rule.min?.inclusive && rule.max?.inclusive ? `${rule.min.value}–${rule.max.value}` : describeRule(rule).replace(/^an? (integer|number) /, '');
  return rule.default === undefined ? range : `${range}, default ${rule.default}`;
}

/** A numeric flag checked against its contract field; absent stays absent, so the host applies the field's default. */
export function schemaNumberOption(flag: string, value: string | undefined, field: z.ZodType): number | undefined {
  if (value === undefined) return undefined;
  const parsed = value.trim() === '' ? Number.NaN : Number(value);
  const checked = field.safeParse(parsed);
  if (checked.success && typeof checked.data === 'number') return checked.data;
  throw new UsageError(`--${flag} must be ${describeRule(numberRule(field))}, got "${value}".`);
}
