import { z } from 'zod';

/** A positive integer dimension with a bound that rejects absurd sizes before anything is allocated. */
export const dim = (max: number) => z.number().int().positive().max(max);

/** A special token given as one id or as a list of them. */
export const tokenIdsJson = z.union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative())]).nullish();

/** The context a model gets when its configs declare none. */
export const DEFAULT_CONTEXT = 2048;

export function asIdList(value: number | number[] | null | undefined): number[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
