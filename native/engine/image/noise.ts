/**
 * Seeded Gaussian noise that is the same on every machine: mulberry32 (32-bit integer arithmetic
 * only) for uniforms, Box-Muller in float64, then rounded to float32. V8 computes Math.log and
 * Math.cos with its own fdlibm port rather than the platform's libm, so the same seed gives the
 * same noise bytes on Linux, macOS and Windows. scripts/scheduler_reference.py implements the same
 * generator in Python for the schedulers' reference values.
 */
export class NoiseGenerator {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32: a uniform in [0, 1). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** One standard normal value from two uniforms (Box-Muller, cosine branch); 1 - u keeps the logarithm finite. */
  normal(): number {
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** `count` standard normal values as float32, drawn in order. */
  randn(count: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.normal();
    return out;
  }
}
