// Comparing a secret the caller sent with the one we expect, in constant time. timingSafeEqual throws on inputs of
// different byte lengths, and a string of the right length in characters can be longer in bytes (not ASCII).
import { timingSafeEqual } from 'node:crypto';

export function sameSecret(expected: string, given: string): boolean {
  const x = Buffer.from(expected);
  const y = Buffer.from(given);
  return x.length === y.length && timingSafeEqual(x, y);
}
