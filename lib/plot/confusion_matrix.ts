/**
 * Confusion matrix heatmap.
 *
 * @module
 */
import { el, escapeXml, INK, num, svgDocument, text, textWidth, truncate } from "./_svg.ts";

/** Options for {@link confusionMatrixSvg}. */
export interface ConfusionMatrixSvgOptions {
  /** Default "Confusion matrix". */
  title?: string;
  /**
   * Colour cells by row percentage (recall per class) and show it as the main
   * figure, with the count below. Better for imbalanced classes, where raw
   * counts make the majority class the only visible one. Default false:
   * colour by count, count first.
   */
  normalize?: boolean;
}

/** matplotlib's "Blues", light to dark. */
const BLUES = [
  [247, 251, 255],
  [222, 235, 247],
  [198, 219, 239],
  [158, 202, 225],
  [107, 174, 214],
  [66, 146, 198],
  [33, 113, 181],
  [8, 81, 156],
  [8, 48, 107],
];

/** Colour for `t` in [0, 1], linear between the Blues stops. */
function blue(t: number): string {
  const f = Math.min(1, Math.max(0, t)) * (BLUES.length - 1);
  const i = Math.min(BLUES.length - 2, Math.floor(f));
  const w = f - i;
  const c = BLUES[i].map((v, j) => Math.round(v + (BLUES[i + 1][j] - v) * w));
  return `rgb(${c.join(",")})`;
}

/** Longest label shown in full; longer ones are truncated, full text in a tooltip. */
const MAX_LABEL = 18;

/** A `<text>` for a possibly truncated label, with the full label as tooltip. */
function label(x: number, y: number, s: string, a: Record<string, string | number>): string {
  const short = truncate(s, MAX_LABEL);
  if (short === s) return text(x, y, s, a);
  return text(x, y, short, a).replace(/>/, `><title>${escapeXml(s)}</title>`);
}

function percent(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

/**
 * Plots a confusion matrix as a heatmap: rows are true classes, columns
 * predicted ones, each cell shows its count and its share of the row.
 *
 * @param matrix `matrix[t][p]`: rows of true class `t` predicted as `p`, as
 *   from `confusionMatrix` in `lib/metrics` (or `confusionTable`, which keeps
 *   a plot of thousands of classes readable and small).
 * @param labels Class names, one per row and column.
 * @param options See {@link ConfusionMatrixSvgOptions}.
 * @returns A standalone SVG document.
 * @throws {RangeError} Unless `matrix` is square with one row per label.
 *
 * @example
 * ```ts
 * import { confusionMatrixSvg } from "./mod.ts";
 * import { strict as assert } from "node:assert";
 *
 * const svg = confusionMatrixSvg([[50, 3], [7, 40]], ["no", "yes"], { normalize: true });
 * assert.ok(svg.includes(">94.3%</text>"));
 * ```
 */
export function confusionMatrixSvg(
  matrix: number[][],
  labels: string[],
  options: ConfusionMatrixSvgOptions = {},
): string {
  const n = labels.length;
  if (matrix.length !== n || matrix.some((row) => row.length !== n)) {
    throw new RangeError(`matrix must be ${n} x ${n} to match ${n} labels`);
  }
  const normalize = options.normalize ?? false;
  const title = options.title ?? "Confusion matrix";

  const cell = Math.max(28, Math.min(110, Math.floor(440 / Math.max(1, n))));
  const labelFont = 13;
  const shown = labels.map((l) => truncate(l, MAX_LABEL));
  // Loops, not Math.max(...xs): spreading hundreds of thousands of values overflows the stack.
  let labelWidth = 0;
  for (const l of shown) labelWidth = Math.max(labelWidth, textWidth(l, labelFont));
  // Column labels wider than a cell are slanted so neighbours do not overlap.
  const slant = labelWidth > cell - 6;
  const colLabelHeight = slant ? labelWidth * 0.71 + 16 : 22;

  const left = 44 + labelWidth + 12;
  const top = 56;
  const grid = cell * n;
  const barX = left + grid + 24;
  const right = 24 + 16 + 60;
  const contentWidth = left + grid + right;
  const width = Math.max(contentWidth, textWidth(title, 17) + 40);
  const height = top + grid + colLabelHeight + 40;

  const rowTotals = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  let maxCount = 1;
  for (const row of matrix) for (const v of row) if (v > maxCount) maxCount = v;
  // Below this size a second line would not fit in the cell; one line can be larger.
  const twoLines = cell >= 48;
  const mainFont = Math.max(9, Math.min(20, cell * (twoLines ? 0.24 : 0.3)));
  const subFont = Math.max(8, mainFont * 0.72);

  const parts: string[] = [];
  for (let t = 0; t < n; t++) {
    for (let p = 0; p < n; p++) {
      const count = matrix[t][p];
      const share = rowTotals[t] > 0 ? count / rowTotals[t] : NaN;
      const shade = normalize ? (Number.isNaN(share) ? 0 : share) : count / maxCount;
      const x = left + p * cell;
      const y = top + t * cell;
      const fg = shade > 0.55 ? "#fff" : INK;
      parts.push(el("rect", {
        class: "cell",
        x,
        y,
        width: cell,
        height: cell,
        fill: blue(shade),
        stroke: "#fff",
      }));
      const countText = String(count);
      const shareText = Number.isNaN(share) ? "" : percent(share);
      const main = normalize && shareText ? shareText : countText;
      const sub = normalize && shareText ? countText : shareText;
      const cx = x + cell / 2;
      const cy = y + cell / 2;
      const a = { "text-anchor": "middle", fill: fg };
      if (twoLines && sub) {
        parts.push(
          text(cx, cy - 1, main, { ...a, "font-size": mainFont, "font-weight": "bold" }),
          text(cx, cy + subFont + 2, normalize ? `n=${sub}` : sub, { ...a, "font-size": subFont }),
        );
      } else {
        parts.push(
          text(cx, cy + mainFont * 0.35, main, {
            ...a,
            "font-size": mainFont,
            "font-weight": "bold",
          }),
        );
      }
    }
  }

  for (let i = 0; i < n; i++) {
    const mid = i * cell + cell / 2;
    parts.push(
      label(left - 8, top + mid + 4.5, labels[i], {
        "text-anchor": "end",
        "font-size": labelFont,
        fill: INK,
      }),
    );
    const lx = left + mid;
    const ly = top + grid + 18;
    parts.push(
      slant
        ? label(lx + 4, ly - 4, labels[i], {
          "text-anchor": "end",
          "font-size": labelFont,
          fill: INK,
          transform: `rotate(-45 ${num(lx + 4)} ${num(ly - 4)})`,
        })
        : label(lx, ly, labels[i], { "text-anchor": "middle", "font-size": labelFont, fill: INK }),
    );
  }
  parts.push(
    el("rect", { x: left, y: top, width: grid, height: grid, fill: "none", stroke: INK }),
    text(left + grid / 2, top + grid + colLabelHeight + 24, "Predicted", {
      "text-anchor": "middle",
      "font-size": 14,
      "font-weight": "bold",
      fill: INK,
    }),
    text(0, 0, "True", {
      "text-anchor": "middle",
      "font-size": 14,
      "font-weight": "bold",
      fill: INK,
      transform: `translate(22 ${num(top + grid / 2)}) rotate(-90)`,
    }),
    colorBar(barX, top, grid, normalize ? "100%" : String(maxCount), normalize ? "0%" : "0"),
  );
  // Centre the plot under a title wider than it.
  const dx = (width - contentWidth) / 2;
  const body = parts.join("\n");
  return svgDocument(
    width,
    height,
    title,
    dx > 0 ? `<g transform="translate(${num(dx)} 0)">\n${body}\n</g>` : body,
  );
}

/**
 * A legend for the colour scale. Stacked rects rather than a gradient: a
 * gradient needs an id, and ids collide when several plots share a page.
 */
function colorBar(x: number, y: number, h: number, maxLabel: string, minLabel: string): string {
  const steps = 40;
  const parts: string[] = [];
  for (let i = 0; i < steps; i++) {
    parts.push(el("rect", {
      x,
      y: y + (i * h) / steps,
      width: 16,
      // Overlap by a pixel to avoid hairline seams between steps.
      height: h / steps + 1,
      fill: blue(1 - i / steps),
    }));
  }
  parts.push(
    el("rect", { x, y, width: 16, height: h, fill: "none", stroke: INK, "stroke-width": 0.5 }),
    text(x + 22, y + 10, maxLabel, { "font-size": 12, fill: INK }),
    text(x + 22, y + h, minLabel, { "font-size": 12, fill: INK }),
  );
  return `<g class="colorbar">\n${parts.join("\n")}\n</g>`;
}
