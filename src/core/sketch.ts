/**
 * Set sketches for anti-entropy: PinSketch (Dodis et al., "Fuzzy extractors", 2004; as in
 * Bitcoin's minisketch), over the field GF(2^32). A set of nonzero 32-bit elements is summarised
 * by its odd power sums s_1, s_3, ..., s_(2c+1): c + 1 words for a capacity of c, the last a check.
 * Sketches add by XOR: the XOR of two sets' sketches is the sketch of their symmetric difference,
 * and it decodes to that difference whenever it has at most c elements (Berlekamp-Massey for the
 * error locator, its roots by Berlekamp's trace algorithm). With more, decoding reports failure: a
 * locator that does not split into distinct roots of the field, or roots whose sums do not give
 * the sketch back, check included. So c + 1 words locate c differences among any number of
 * elements, whatever the sets' sizes.
 */

/** x^32 + x^7 + x^3 + x^2 + 1, irreducible over GF(2): its low 32 bits. */
const POLY = 0x8d;

/** The product of two field elements. */
export function gfMul(a: number, b: number): number {
  let r = 0;
  let x = a | 0;
  let y = b | 0;
  while (y !== 0) {
    if (y & 1) r ^= x;
    y >>>= 1;
    x = (x << 1) ^ (POLY & (x >> 31));
  }
  return r >>> 0;
}

/** The multiplicative inverse of a nonzero element: a^(2^32 - 2). */
export function gfInv(a: number): number {
  let r = a >>> 0;
  for (let i = 0; i < 30; i++) r = gfMul(gfMul(r, r), a);
  return gfMul(r, r);
}

/** Adds element `x` to the sketch of `words` sums held in `sums` from `at` on. (0 is no element: it adds nothing.) */
export function sketchAdd(sums: Uint32Array, at: number, words: number, x: number): void {
  if (x === 0) return;
  const square = gfMul(x, x);
  let power = x >>> 0;
  for (let i = 0; i < words; i++) {
    sums[at + i]! ^= power;
    if (i + 1 < words) power = gfMul(power, square);
  }
}

/** The sketch of a set of elements in `words` sums: it decodes differences of up to `words - 1` elements. */
export function sketchOf(elements: Iterable<number>, words: number): Uint32Array {
  const sums = new Uint32Array(words);
  for (const x of elements) sketchAdd(sums, 0, words, x);
  return sums;
}

/**
 * The set a sketch (usually the XOR of two) describes, when it has at most `sums.length - 1`
 * elements; null when it has more. Elements ascending. The last sum is a check: decoding uses the
 * others, and a set that matches them but not it is refused. (A sketch of c sums alone "decodes"
 * a larger set to some other set of at most c elements about once in c! tries; with the check, once
 * in 2^32.)
 */
export function decodeSketch(sums: Uint32Array): number[] | null {
  const cap = sums.length - 1;
  if (sums.every((s) => s === 0)) return [];
  if (cap < 1) return null;
  // The power sums S_1 .. S_2c: the odd ones are given, S_2i = S_i^2 in characteristic 2.
  const s = new Array<number>(2 * cap);
  for (let i = 1; i <= 2 * cap; i++) s[i - 1] = i % 2 === 1 ? sums[(i - 1) / 2]! : gfMul(s[i / 2 - 1]!, s[i / 2 - 1]!);
  const { poly: locator, length: degree } = berlekampMassey(s);
  // A locator of degree past the capacity, or with a zero root, names no set the sketch can hold.
  if (degree > cap || locator.length !== degree + 1) return null;
  // The locator is prod(1 - X_i z): its reverse, prod(z - X_i), has the elements as roots.
  const found = roots(locator.slice().reverse());
  if (!found || found.length !== degree) return null;
  found.sort((a, b) => a - b);
  const check = sketchOf(found, cap + 1);
  for (let i = 0; i <= cap; i++) if (check[i] !== sums[i]) return null;
  return found;
}

/** The shortest linear recurrence generating `s`: its connection polynomial (low degree first, constant 1) and length. */
function berlekampMassey(s: readonly number[]): { poly: number[]; length: number } {
  let c = [1];
  let b = [1];
  let length = 0;
  let shift = 1;
  let last = 1;
  for (let n = 0; n < s.length; n++) {
    let d = s[n]!;
    for (let i = 1; i <= length; i++) d ^= gfMul(c[i] ?? 0, s[n - i]!);
    d >>>= 0;
    if (d === 0) {
      shift++;
      continue;
    }
    const factor = gfMul(d, gfInv(last));
    const next = new Array<number>(Math.max(c.length, b.length + shift)).fill(0);
    for (let i = 0; i < c.length; i++) next[i] = c[i]!;
    for (let i = 0; i < b.length; i++) next[i + shift] = (next[i + shift]! ^ gfMul(factor, b[i]!)) >>> 0;
    if (2 * length <= n) {
      b = c;
      length = n + 1 - length;
      last = d;
      shift = 1;
    } else shift++;
    c = next;
  }
  return { poly: trim(c.slice(0, length + 1)), length };
}

// Polynomials over the field: arrays of coefficients, lowest degree first, without trailing zeros.

function trim(p: number[]): number[] {
  let n = p.length;
  while (n > 0 && p[n - 1] === 0) n--;
  p.length = n;
  return p;
}

/** `a` mod `f`, in place on a copy. */
function polyMod(a: readonly number[], f: readonly number[]): number[] {
  const r = a.slice();
  const df = f.length - 1;
  const inverse = gfInv(f[df]!);
  for (let i = r.length - 1; i >= df; i--) {
    const c = r[i]!;
    if (c === 0) continue;
    const q = gfMul(c, inverse);
    for (let k = 0; k <= df; k++) r[i - df + k] = (r[i - df + k]! ^ gfMul(q, f[k]!)) >>> 0;
  }
  return trim(r.slice(0, Math.max(0, Math.min(r.length, df))));
}

/** a^2 mod f: squaring is linear in characteristic 2. */
function polySquareMod(a: readonly number[], f: readonly number[]): number[] {
  const r = new Array<number>(Math.max(0, 2 * a.length - 1)).fill(0);
  for (let i = 0; i < a.length; i++) r[2 * i] = gfMul(a[i]!, a[i]!);
  return polyMod(r, f);
}

function polyGcd(a: readonly number[], b: readonly number[]): number[] {
  let x = trim(a.slice());
  let y = trim(b.slice());
  while (y.length > 0) [x, y] = [y, polyMod(x, y)];
  return x;
}

/** The quotient of `a` by `b`, which divides it. */
function polyDiv(a: readonly number[], b: readonly number[]): number[] {
  const r = a.slice();
  const db = b.length - 1;
  const inverse = gfInv(b[db]!);
  const q = new Array<number>(Math.max(0, r.length - db)).fill(0);
  for (let i = r.length - 1; i >= db; i--) {
    const c = r[i]!;
    if (c === 0) continue;
    const t = gfMul(c, inverse);
    q[i - db] = t;
    for (let k = 0; k <= db; k++) r[i - db + k] = (r[i - db + k]! ^ gfMul(t, b[k]!)) >>> 0;
  }
  return trim(q);
}

/**
 * The roots of a polynomial (lowest degree first, degree at least 1) when it is a product of
 * distinct linear factors over the field, else null. z^(2^32) = z mod f holds exactly then. Its
 * roots are then split apart by gcd(g, Tr(b z)) for b in the field's basis 1, 2, 4, ..., 2^31
 * (Berlekamp's trace algorithm): two distinct elements differ in the trace of some b times them.
 * Tr(b z) mod f is the sum of b^(2^i) (z^(2^i) mod f), from residues computed once; a factor g of
 * f takes it mod g.
 */
function roots(f: readonly number[]): number[] | null {
  const degree = f.length - 1;
  if (degree === 1) return [gfMul(f[0]!, gfInv(f[1]!))];
  const residues: number[][] = [polyMod([0, 1], f)];
  for (let i = 1; i <= 32; i++) residues.push(polySquareMod(residues[i - 1]!, f));
  const z = residues[0]!;
  const last = residues[32]!;
  if (last.length !== z.length || last.some((c, i) => c !== z[i])) return null;
  let factors: (readonly number[])[] = [f];
  for (let j = 0; j < 32 && factors.some((g) => g.length > 2); j++) {
    const trace = new Array<number>(degree).fill(0);
    let b = (1 << j) >>> 0;
    for (let i = 0; i < 32; i++) {
      const ri = residues[i]!;
      for (let k = 0; k < ri.length; k++) trace[k] = (trace[k]! ^ gfMul(b, ri[k]!)) >>> 0;
      b = gfMul(b, b);
    }
    trim(trace);
    const next: (readonly number[])[] = [];
    for (const g of factors) {
      if (g.length <= 2) {
        next.push(g);
        continue;
      }
      const common = polyGcd(g, polyMod(trace, g));
      if (common.length > 1 && common.length < g.length) next.push(common, polyDiv(g, common));
      else next.push(g);
    }
    factors = next;
  }
  if (factors.some((g) => g.length !== 2)) return null;
  return factors.map((g) => gfMul(g[0]!, gfInv(g[1]!)));
}
