// Node 20 has no Float16Array: half-precision tensors travel as Uint16Array bit patterns.

const exponentTable = new Float32Array(32);
for (let e = 0; e < 32; e++) exponentTable[e] = 2 ** (e - 15);

export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x03ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * exponentTable[exponent]! * (1 + fraction / 1024);
}

const floatView = new Float32Array(1);
const intView = new Uint32Array(floatView.buffer);

/** Rounds to nearest even, as IEEE 754 conversion does. */
export function floatToHalf(value: number): number {
  floatView[0] = value;
  const x = intView[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  // Rounds the dropped bits to nearest, ties to even, for normal and subnormal results alike.
  const roundShift = (bits: number, shift: number) => {
    const kept = bits >> shift;
    const dropped = bits & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    return dropped > halfway || (dropped === halfway && kept & 1) ? kept + 1 : kept;
  };
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    return sign | roundShift(mantissa | 0x800000, 14 - halfExponent);
  }
  return (sign | (halfExponent << 10)) + roundShift(mantissa, 13);
}

export function halfArrayToFloat(bits: Uint16Array, out = new Float32Array(bits.length)): Float32Array {
  for (let i = 0; i < bits.length; i++) out[i] = halfToFloat(bits[i]!);
  return out;
}

export function floatArrayToHalf(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = floatToHalf(values[i]!);
  return out;
}
