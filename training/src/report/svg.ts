// Plots for the report as standalone SVG strings: line chart, confusion-matrix heat map, grouped bar chart.
// No fonts beyond a generic family, no scripts, no external references: they render offline anywhere.

export const escapeXml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const FONT = `font-family="DejaVu Sans, Verdana, sans-serif"`;
export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

const fmt = (v: number): string => (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toPrecision(2));

/** About five round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function svgOpen(width: number, height: number, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}">` +
    `<rect width="100%" height="100%" fill="#fff"/>` +
    `<text x="${width / 2}" y="18" text-anchor="middle" ${FONT} font-size="14" font-weight="bold">${escapeXml(title)}</text>`;
}

export interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  yMin?: number;
  yMax?: number;
}

export function lineChart(series: readonly Series[], o: LineChartOptions): string {
  const width = o.width ?? 460;
  const height = o.height ?? 300;
  const legendRows = Math.max(1, Math.ceil(series.length / 3));
  const m = { left: 56, right: 14, top: 30, bottom: 46 + 16 * legendRows };
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = Math.min(...xs, 0);
  const x1 = Math.max(...xs, 1);
  let y0 = o.yMin ?? Math.min(...ys);
  let y1 = o.yMax ?? Math.max(...ys);
  if (!(y1 > y0)) [y0, y1] = [y0 - 1, y1 + 1];
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const sx = (x: number): number => m.left + ((x - x0) / (x1 - x0 || 1)) * pw;
  const sy = (y: number): number => m.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const parts = [svgOpen(width, height, o.title)];
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" ${FONT} font-size="11">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(x0, x1).filter((t) => Number.isInteger(t))) {
    parts.push(`<text x="${sx(t).toFixed(1)}" y="${m.top + ph + 15}" text-anchor="middle" ${FONT} font-size="11">${fmt(t)}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 31}" text-anchor="middle" ${FONT} font-size="12">${escapeXml(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" ${FONT} font-size="12">${escapeXml(o.yLabel)}</text>`);
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const d = s.points.map((p, k) => `${k === 0 ? "M" : "L"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join("");
    if (s.points.length > 1) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed === true ? ` stroke-dasharray="5 3"` : ""}/>`);
    for (const p of s.points) parts.push(`<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="2.5" fill="${color}"/>`);
    const lx = m.left + (i % 3) * 140;
    const ly = height - 10 - (legendRows - 1 - Math.floor(i / 3)) * 16;
    parts.push(`<line x1="${lx}" x2="${lx + 20}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.dashed === true ? ` stroke-dasharray="5 3"` : ""}/>`);
    parts.push(`<text x="${lx + 25}" y="${ly}" ${FONT} font-size="11">${escapeXml(s.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

/** confusion[label][predicted] as a heat map; the colour of an off-diagonal cell grows with the log of its count. */
export function confusionHeatmap(confusion: readonly (readonly number[])[], title: string): string {
  const n = confusion.length;
  const cell = 34;
  const left = 56;
  const top = 56;
  const width = left + n * cell + 16;
  const height = top + n * cell + 16;
  const offMax = Math.max(1, ...confusion.flatMap((row, r) => row.filter((_, c) => c !== r)));
  const parts = [svgOpen(width, height, title)];
  parts.push(`<text x="${left + (n * cell) / 2}" y="${top - 22}" text-anchor="middle" ${FONT} font-size="12">predicted</text>`);
  parts.push(`<text transform="translate(16 ${top + (n * cell) / 2}) rotate(-90)" text-anchor="middle" ${FONT} font-size="12">true digit</text>`);
  for (let i = 0; i < n; i++) {
    parts.push(`<text x="${left + i * cell + cell / 2}" y="${top - 6}" text-anchor="middle" ${FONT} font-size="12">${i}</text>`);
    parts.push(`<text x="${left - 8}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" ${FONT} font-size="12">${i}</text>`);
  }
  confusion.forEach((row, r) => {
    row.forEach((v, c) => {
      let fill = "#fff";
      if (r === c) fill = "#cfe3f5";
      else if (v > 0) {
        const t = Math.log1p(v) / Math.log1p(offMax);
        fill = `rgb(255,${Math.round(235 - 160 * t)},${Math.round(220 - 190 * t)})`;
      }
      const x = left + c * cell;
      const y = top + r * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ddd"/>`);
      if (v > 0) parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" ${FONT} font-size="${v >= 1000 ? 10 : 11}">${v}</text>`);
    });
  });
  parts.push("</svg>");
  return parts.join("");
}

export interface BarGroup {
  label: string;
  values: number[];
}

/** Grouped bars (one group per label, one bar per series), y axis from yMin to yMax. */
export function barChart(groups: readonly BarGroup[], seriesNames: readonly string[], o: { title: string; yLabel: string; yMin: number; yMax: number; width?: number; height?: number }): string {
  const width = o.width ?? 520;
  const height = o.height ?? 260;
  const m = { left: 56, right: 14, top: 30, bottom: 52 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const sy = (y: number): number => m.top + ph - ((Math.max(o.yMin, Math.min(o.yMax, y)) - o.yMin) / (o.yMax - o.yMin)) * ph;
  const groupW = pw / Math.max(1, groups.length);
  const barW = (groupW * 0.8) / Math.max(1, seriesNames.length);
  const parts = [svgOpen(width, height, o.title)];
  for (const t of niceTicks(o.yMin, o.yMax)) {
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" ${FONT} font-size="11">${fmt(t)}</text>`);
  }
  groups.forEach((g, gi) => {
    g.values.forEach((v, si) => {
      const x = m.left + gi * groupW + groupW * 0.1 + si * barW;
      const y = sy(v);
      parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(m.top + ph - y).toFixed(1)}" fill="${PALETTE[si % PALETTE.length]!}"><title>${escapeXml(`${g.label} ${seriesNames[si] ?? ""}: ${v.toFixed(2)}`)}</title></rect>`);
    });
    parts.push(`<text x="${(m.left + gi * groupW + groupW / 2).toFixed(1)}" y="${m.top + ph + 15}" text-anchor="middle" ${FONT} font-size="12">${escapeXml(g.label)}</text>`);
  });
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  parts.push(`<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" ${FONT} font-size="12">${escapeXml(o.yLabel)}</text>`);
  seriesNames.forEach((name, i) => {
    const lx = m.left + i * 120;
    parts.push(`<rect x="${lx}" y="${height - 20}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]!}"/>`);
    parts.push(`<text x="${lx + 17}" y="${height - 10}" ${FONT} font-size="11">${escapeXml(name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}
