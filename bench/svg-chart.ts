/**
 * Small multiples as one SVG: a panel per sweep, a line per contender, the x axis one step per measured point
 * (the sweeps are not linear: 1, 10, 25, 50, 100), the y axis tasks per second from 0. Plain SVG 1.1 text, so
 * GitHub and any browser show it without scripts.
 */

/** One panel: its title, the x labels, and each contender's values (NaN for a point not measured). */
export interface ChartPanel {
  readonly title: string;
  readonly xLabel: string;
  readonly x: readonly string[];
  readonly series: ReadonlyArray<{ readonly name: string; readonly values: readonly number[] }>;
}

const COLORS = ['#1b6b3a', '#c0392b', '#2c5aa0', '#8e44ad'];
const W = 320;
const H = 220;
const PAD = { left: 52, right: 14, top: 30, bottom: 44 };

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A "nice" upper bound for the axis: 1, 2 or 5 times a power of ten. */
function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].map((m) => m * power).find((m) => m >= value) ?? 10 * power) as number;
}

function panel(chart: ChartPanel, offsetX: number): string {
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const max = niceMax(Math.max(0, ...chart.series.flatMap((s) => s.values.filter(Number.isFinite))));
  const xAt = (i: number) =>
    PAD.left + (chart.x.length === 1 ? innerW / 2 : (i * innerW) / (chart.x.length - 1));
  const yAt = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const parts: string[] = [`<g transform="translate(${offsetX},0)">`];
  parts.push(
    `<text x="${W / 2}" y="18" text-anchor="middle" font-weight="bold">${escapeXml(chart.title)}</text>`,
  );
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    parts.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${yAt(v)}" y2="${yAt(v)}" stroke="#ddd"/>`,
      `<text x="${PAD.left - 6}" y="${yAt(v) + 4}" text-anchor="end">${Math.round(v)}</text>`,
    );
  }
  chart.x.forEach((label, i) => {
    parts.push(
      `<text x="${xAt(i)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${escapeXml(label)}</text>`,
    );
  });
  parts.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`);
  chart.series.forEach((series, k) => {
    const color = COLORS[k % COLORS.length];
    const points = series.values.flatMap((v, i) => (Number.isFinite(v) ? [`${xAt(i)},${yAt(v)}`] : []));
    if (points.length > 1) {
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>`);
    }
    for (const point of points) {
      const [cx, cy] = point.split(',');
      parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`);
    }
  });
  parts.push('</g>');
  return parts.join('\n');
}

/** The panels side by side, a legend for the series of the first, and a y-axis caption. */
export function svgChart(panels: readonly ChartPanel[], caption: string): string {
  const width = W * panels.length;
  const names = panels[0]?.series.map((s) => s.name) ?? [];
  const legend = names
    .map(
      (name, k) =>
        `<rect x="${12 + k * 170}" y="${H + 8}" width="12" height="12" fill="${COLORS[k % COLORS.length]}"/>` +
        `<text x="${30 + k * 170}" y="${H + 18}">${escapeXml(name)}</text>`,
    )
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 52}" viewBox="0 0 ${width} ${H + 52}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...panels.map((p, i) => panel(p, i * W)),
    legend,
    `<text x="${width - 8}" y="${H + 40}" text-anchor="end" fill="#555">${escapeXml(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
