import { describe, expect, it } from 'vitest';
import { KIND_STYLES } from '../../src/app/kind-styles.js';
import { logEvent } from '../../src/app/log.js';
import { NODE_COLORS, NodeNames, nameAt, namedText, PAGE_MARKS, textOn } from '../../src/app/node-names.js';

/** Machado, Oliveira and Fernandes (2009), severity 1: linear RGB to what a dichromat sees. */
const CVD: Record<string, number[][]> = {
  none: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};

const linear = (hex: string) =>
  [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });

/** CIELAB (D65) of `hex` as seen under `vision`. */
function lab(hex: string, vision: string): number[] {
  const l = linear(hex);
  const [r, g, b] = CVD[vision]!.map((row) => Math.min(1, Math.max(0, row[0]! * l[0]! + row[1]! * l[1]! + row[2]! * l[2]!)));
  const x = (0.4124 * r! + 0.3576 * g! + 0.1805 * b!) / 0.95047;
  const y = 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  const z = (0.0193 * r! + 0.1192 * g! + 0.9505 * b!) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

const distance = (a: string, b: string, vision: string) => {
  const [p, q] = [lab(a, vision), lab(b, vision)];
  return Math.hypot(p[0]! - q[0]!, p[1]! - q[1]!, p[2]! - q[2]!);
};

describe('node names and colours', () => {
  it('names nodes A, B, C… in the order they join, and keeps each name', () => {
    expect([0, 1, 25, 26, 27, 51, 52, 701, 702].map(nameAt)).toEqual(['A', 'B', 'Z', 'AA', 'AB', 'AZ', 'BA', 'ZZ', 'AAA']);
    const names = new NodeNames(['node-7b', 'node-01']);
    expect(names.add('node-99').name).toBe('C');
    expect(names.add('node-7b').name).toBe('A');
    expect(names.nameOf('node-01')).toBe('B');
    expect(names.nameOf('node-unknown-to-us')).toBe('node-unknown');
  });

  it('keeps the first five nodes’ colours apart under the common colour blindnesses (ΔE*ab ≥ 20), and every node colour apart from the page’s marks', () => {
    const five = NODE_COLORS.slice(0, 5);
    for (const vision of Object.keys(CVD)) {
      for (let i = 0; i < five.length; i++)
        for (let j = i + 1; j < five.length; j++)
          expect(distance(five[i]!, five[j]!, vision), `${five[i]} ${five[j]} ${vision}`).toBeGreaterThan(20);
      for (const color of NODE_COLORS)
        for (const mark of PAGE_MARKS) expect(distance(color, mark, vision), `${color} ${mark} ${vision}`).toBeGreaterThan(19);
    }
    // All seven still differ by ΔE ≥ 15 in every vision.
    for (const vision of Object.keys(CVD))
      for (let i = 0; i < NODE_COLORS.length; i++)
        for (let j = i + 1; j < NODE_COLORS.length; j++) expect(distance(NODE_COLORS[i]!, NODE_COLORS[j]!, vision)).toBeGreaterThan(15);
  });

  it('writes names and codes in whichever of ink and white reads better: ≥ 3:1 for the large bold names, ≥ 4.5:1 for the codes', () => {
    const lum = (hex: string) => {
      const [r, g, b] = linear(hex);
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const contrast = (a: string, b: string) => (Math.max(lum(a), lum(b)) + 0.05) / (Math.min(lum(a), lum(b)) + 0.05);
    for (const color of NODE_COLORS) expect(contrast(color, textOn(color))).toBeGreaterThan(3);
    for (const { color } of Object.values(KIND_STYLES)) expect(contrast(color, textOn(color))).toBeGreaterThan(4.5);
  });
});

describe('namedText: the core’s texts with names a class can say', () => {
  it('replaces every node id it knows by its name, and others by a short id, leaving the rest alone', () => {
    const a = `node-${'a'.repeat(24)}`;
    const b = `node-${'b'.repeat(24)}`;
    const stranger = `node-${'c'.repeat(24)}`;
    const names = new NodeNames([a, b]);
    const text = `put of "cart:1" failed: ${b} did not answer within 900 ms; ${a} and ${stranger} did, node-123 is no id`;
    expect(namedText(text, (id) => names.nameOf(id))).toBe(
      `put of "cart:1" failed: B did not answer within 900 ms; A and ${stranger.slice(0, 12)} did, node-123 is no id`,
    );
  });
});

describe('the node page’s log names nodes in what the core wrote', () => {
  it('a refusal’s detail and a failed request’s reason say names, not ids', () => {
    const a = `node-${'a'.repeat(24)}`;
    const b = `node-${'b'.repeat(24)}`;
    const names = new NodeNames([a, b]);
    const name = (id: string) => names.nameOf(id);
    const refused = logEvent(
      { log: [], logSerial: 0 },
      { type: 'dropped', from: b, reason: 'refused', detail: `a forwarded message from ${a} through ${b}: bad signature` },
      a,
      0,
      name,
    );
    expect(refused?.log[0]?.lines[0]?.text).toBe('refused: a forwarded message from A through B: bad signature');
    const failed = logEvent({ log: [], logSerial: 0 }, { type: 'error', where: 'gossip', message: `${b} sent nonsense` }, a, 0, name);
    expect(failed?.log[0]?.lines[0]?.text).toBe('B sent nonsense (the node keeps serving)');
  });

  it('a leave’s transfer to a stand-in says it holds a hint for the owner that is down, not that it now replicates the key', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((x) => `node-${x.repeat(24)}`) as [string, string, string];
    const names = new NodeNames([a, b, c]);
    const name = (id: string) => names.nameOf(id);
    const moved = logEvent({ log: [], logSerial: 0 }, { type: 'transfer', key: 'cart', to: b }, a, 0, name);
    expect(moved?.log[0]?.lines[0]?.text).toBe('B stored "cart", a key it now replicates');
    const stood = logEvent({ log: [], logSerial: 0 }, { type: 'transfer', key: 'cart', to: b, for: c }, a, 0, name);
    expect(stood?.log[0]?.lines[0]?.text).toBe('B keeps "cart" as a hint for C, a new replica that is down, so that this node can leave');
    expect(stood?.log[0]?.nodes).toEqual([a, b, c]);
  });
});
