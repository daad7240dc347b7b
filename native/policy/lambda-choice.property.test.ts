import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeCalibration, predictCost, summarizeBatch, type BatchPoint, type FamilyCalibration } from './calibration';
import { chooseOperatingPoint, type Candidate } from './operating-point-policy';

/** A random family: 1–12 points, each with a quality and a batch of 1–7 measured costs. */
const familyArbitrary = fc
  .array(
    fc.record({
      quality: fc.double({ min: 0.05, max: 1, noNaN: true }),
      samples: fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), { minLength: 1, maxLength: 7 }),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((points) => points.map((point, index) => ({ ...point, id: `p${index}`, fileId: `f${index}` })));

type RandomFamily = fc.Arbitrary<{ id: string; fileId: string; quality: number; samples: number[] }[]> extends fc.Arbitrary<infer T> ? T : never;

function calibrate(family: RandomFamily): FamilyCalibration {
  return summarizeBatch(family as BatchPoint[], 'cpu', 5);
}

function candidates(family: RandomFamily, calibration: FamilyCalibration): Candidate[] {
  return family.map((point) => ({ id: point.id, quality: point.quality, cost: predictCost(calibration, point.id)!.median }));
}

const lambdas = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 20 }).map((values) => [0, ...values, 1].sort((a, b) => a - b));

describe('the λ choice over random families (fast-check)', () => {
  it('sweeping λ from 0 to 1 never lowers the chosen quality or cost', () => {
    fc.assert(
      fc.property(familyArbitrary, lambdas, (family, sweep) => {
        const points = candidates(family, calibrate(family));
        const chosen = sweep.map((lambda) => chooseOperatingPoint(points, lambda));
        for (let i = 1; i < chosen.length; i++) {
          expect(chosen[i]!.quality).toBeGreaterThanOrEqual(chosen[i - 1]!.quality);
          expect(chosen[i]!.cost).toBeGreaterThanOrEqual(chosen[i - 1]!.cost);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('re-planning with the same calibration gives the same point, in whatever order the points come', () => {
    fc.assert(
      fc.property(familyArbitrary, fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 1000 }), (family, lambda, seed) => {
        const calibration = calibrate(family);
        const shuffled = [...family].sort((a, b) => ((a.id.charCodeAt(1) * 7919 + seed) % 101) - ((b.id.charCodeAt(1) * 7919 + seed) % 101));
        const first = chooseOperatingPoint(candidates(family, calibration), lambda).id;
        expect(chooseOperatingPoint(candidates(family, calibration), lambda).id).toBe(first);
        expect(chooseOperatingPoint(candidates(shuffled, calibration), lambda).id).toBe(first);
      }),
      { numRuns: 300 },
    );
  });

  it('a recalibration whose every point lies within its stored spread, at any machine load, never changes the choice', () => {
    const noisy = familyArbitrary.chain((family) =>
      fc.record({
        family: fc.constant(family),
        // Where in its stored spread each point's new median falls (0 = low edge, 1 = high edge).
        positions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: family.length, maxLength: family.length }),
        load: fc.double({ min: 0.25, max: 4, noNaN: true }),
        lambda: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    );
    fc.assert(
      fc.property(noisy, ({ family, positions, load, lambda }) => {
        const stored = calibrate(family);
        const remeasured = family.map((point, index) => {
          const { relative, low, high } = stored.points[point.id]!;
          const factor = low + (high - low) * positions[index]!;
          return { ...point, samples: [relative * factor * load] };
        });
        const merged = mergeCalibration(stored, calibrate(remeasured), (id) => id);
        expect(merged.changes).toEqual([]);
        expect(chooseOperatingPoint(candidates(family, merged), lambda).id).toBe(chooseOperatingPoint(candidates(family, stored), lambda).id);
      }),
      { numRuns: 300 },
    );
  });
});
