import { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits, float32ToHalf, halfToFloat32 } from '../src/index.js';

test('float16 conversion is exact on representable values and rounds to nearest even', () => {
  for (const v of [0, 1, -2, 0.5, 65504, 6.103515625e-5, 5.960464477539063e-8]) {
    expect(float16BitsToFloat32(float32ToFloat16Bits(v))).toBe(v);
  }
  expect(float32ToFloat16Bits(1)).toBe(0x3c00);
  expect(float32ToFloat16Bits(-0)).toBe(0x8000);
  expect(float32ToFloat16Bits(1e6)).toBe(0x7c00); // overflow -> inf
  expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie rounds to even
  expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN)))).toBe(true);
});

test('bfloat16 keeps float32 range and rounds to nearest even', () => {
  expect(float32ToBfloat16Bits(1)).toBe(0x3f80);
  expect(bfloat16BitsToFloat32(0x3f80)).toBe(1);
  expect(bfloat16BitsToFloat32(float32ToBfloat16Bits(3e38))).toBeCloseTo(3e38, -36);
  expect(float32ToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie -> even
  const xs = [0.1, -3.5, 1234.5];
  const back = halfToFloat32('bfloat16', float32ToHalf('bfloat16', xs));
  xs.forEach((x, i) => expect(Math.abs(back[i] - x) / Math.abs(x)).toBeLessThan(2 ** -8));
});
