// Draws the ratio chart (bench/results/ratios.svg) as plain SVG text: one bar per scenario
// with a min–max whisker and reference lines, so the figures need no chart library to render.

export interface RatioBar {
  name: string;
  median: number;
  min: number;
  max: number;
  /** The scenario's own target, if it has one: marked on its row, and its bar coloured by it. */
  target?: number;
}

export interface ChartOptions {
  /** The ratio the candidate should reach; drawn as a dashed line. */
  target: number;
  title?: string;
  /** A line under the title, e.g. the date and machine. */
  subtitle?: string;
}

const WIDTH = 720;
const LEFT = 170;
const RIGHT = 150;
const TOP = 64;
const BOTTOM = 40;
const ROW = 30;
const BAR = 16;
const PLOT_W = WIDTH - LEFT - RIGHT;

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const px = (v: number): string => v.toFixed(1);

// A tick step that gives at most ten ticks whatever the largest ratio is.
function tickStep(xMax: number): number {
  const steps = [0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 1000];
  return steps.find((s) => xMax / s <= 10) ?? xMax / 10;
}

export function renderRatioChart(bars: readonly RatioBar[], opts: ChartOptions): string {
  const finiteMax = bars.flatMap((b) => [b.max, b.median]).filter(Number.isFinite);
  const rawMax = Math.max(1.2, opts.target * 1.2, ...finiteMax.map((v) => v * 1.1));
  // (Own targets are ratios ≤ 1, inside that range already.)
  const step = tickStep(rawMax);
  const xMax = Math.ceil(rawMax / step - 1e-9) * step;
  const x = (v: number): number => LEFT + (Math.max(0, Math.min(v, xMax)) / xMax) * PLOT_W;

  const plotH = Math.max(1, bars.length) * ROW;
  const height = TOP + plotH + BOTTOM;
  const axisY = TOP + plotH;
  const out: string[] = [];

  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
      `viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect class="bg" x="0" y="0" width="${WIDTH}" height="${height}" fill="#ffffff"/>`);
  const title = opts.title ?? 'Candidate / baseline, req/s (median of rounds, whisker = min–max)';
  out.push(`<text x="${LEFT}" y="18" font-size="14" font-weight="bold">${escapeXml(title)}</text>`);
  if (opts.subtitle) {
    out.push(`<text x="${LEFT}" y="34" fill="#555555">${escapeXml(opts.subtitle)}</text>`);
  }

  // Axis and ticks.
  out.push(
    `<line x1="${LEFT}" y1="${axisY}" x2="${LEFT + PLOT_W}" y2="${axisY}" stroke="#333333"/>`,
  );
  const ticks = Math.round(xMax / step);
  for (let i = 0; i <= ticks; i++) {
    const v = i * step;
    const tx = px(x(v));
    out.push(`<line x1="${tx}" y1="${axisY}" x2="${tx}" y2="${axisY + 4}" stroke="#333333"/>`);
    out.push(
      `<text x="${tx}" y="${axisY + 16}" text-anchor="middle">${escapeXml(`${fmt(v)}×`)}</text>`,
    );
  }
  out.push(
    `<text x="${LEFT + PLOT_W / 2}" y="${axisY + 32}" text-anchor="middle" fill="#555555">` +
      'req/s of candidate ÷ req/s of baseline, same round</text>',
  );

  // Reference lines: the target and parity with the baseline.
  const refs = [
    { v: opts.target, label: `target ${fmt(opts.target)}×`, color: '#c0392b', dash: '5,4' },
    { v: 1, label: 'baseline 1.00×', color: '#555555', dash: '' },
  ];
  for (const [i, r] of refs.entries()) {
    const rx = px(x(r.v));
    const dash = r.dash ? ` stroke-dasharray="${r.dash}"` : '';
    out.push(
      `<line class="ref" x1="${rx}" y1="${TOP - 8}" x2="${rx}" y2="${axisY}" ` +
        `stroke="${r.color}"${dash}/>`,
    );
    // Stagger the two labels so they cannot overlap when the target is near 1.
    const anchor = i === 0 ? 'end' : 'start';
    const dx = i === 0 ? -3 : 3;
    out.push(
      `<text x="${px(x(r.v) + dx)}" y="${TOP - 12}" text-anchor="${anchor}" ` +
        `fill="${r.color}">${escapeXml(r.label)}</text>`,
    );
  }

  // One bar per scenario.
  for (const [i, b] of bars.entries()) {
    const cy = TOP + i * ROW + ROW / 2;
    const ok = Number.isFinite(b.median);
    const w = ok ? x(b.median) - LEFT : 0;
    const target = b.target ?? opts.target;
    const fill = ok && b.median >= target ? '#2e86c1' : '#e67e22';
    out.push(
      `<text x="${LEFT - 8}" y="${px(cy + 4)}" text-anchor="end">${escapeXml(b.name)}</text>`,
    );
    out.push(
      `<rect class="bar" x="${LEFT}" y="${px(cy - BAR / 2)}" width="${px(w)}" ` +
        `height="${BAR}" fill="${fill}"/>`,
    );
    if (b.target !== undefined) {
      // A short dashed mark across this row only: the chart-wide line is another target.
      const tx = px(x(b.target));
      out.push(
        `<line class="bar-target" x1="${tx}" y1="${px(cy - ROW / 2 + 2)}" x2="${tx}" ` +
          `y2="${px(cy + ROW / 2 - 2)}" stroke="#c0392b" stroke-width="2" stroke-dasharray="3,2"/>`,
      );
    }
    let labelX = x(ok ? b.median : 0);
    if (Number.isFinite(b.min) && Number.isFinite(b.max)) {
      const x1 = px(x(b.min));
      const x2 = px(x(b.max));
      out.push(`<line x1="${x1}" y1="${px(cy)}" x2="${x2}" y2="${px(cy)}" stroke="#222222"/>`);
      for (const cx of [x1, x2]) {
        out.push(
          `<line x1="${cx}" y1="${px(cy - 5)}" x2="${cx}" y2="${px(cy + 5)}" stroke="#222222"/>`,
        );
      }
      labelX = Math.max(labelX, x(b.max));
    }
    const own = b.target !== undefined ? `, target ${fmt(b.target)}×` : '';
    const label = `${fmt(b.median)}× (${fmt(b.min)}–${fmt(b.max)})${own}`;
    // A white halo keeps the label readable where it crosses a reference line.
    out.push(
      `<text x="${px(labelX + 6)}" y="${px(cy + 4)}" stroke="#ffffff" stroke-width="3" ` +
        `paint-order="stroke">${escapeXml(label)}</text>`,
    );
  }

  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
