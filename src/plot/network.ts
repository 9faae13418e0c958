/**
 * Diagrams of the network for the teaching notebooks: the RNN unrolled over time, and inside the
 * LSTM step by step. Pure builders with the rules of src/plot/style.ts, drawn with `show`.
 */
import type { Annotations, ColorScale, Data, Layout, Shape } from 'plotly.js';
import { check, INK, LINE_COLOR, symmetricRange } from './style';
import type { Figure } from './style';

const BOX_COLOR = '#deebf7';

/** Options of `unrolledRnnFigure`. */
export interface UnrolledRnnOptions {
  /** Time steps of the unrolled network (the tutorial's n_steps). */
  readonly steps?: number;
  /** Steps drawn as boxes; a "…" stands for the ones between non-consecutive entries. */
  readonly shownSteps?: readonly number[];
  /** Text in every cell box. */
  readonly cellLabel?: string;
  /** The weights every box uses, written under each box and in the caption. */
  readonly weightsLabel?: string;
  /** What the last output feeds. */
  readonly outputLabel?: string;
  /** The text under step t's input arrow. */
  readonly inputLabel?: (t: number) => string;
  readonly title?: string;
}

export const UNROLLED_RNN_DEFAULTS = {
  steps: 28,
  cellLabel: 'LSTM cell',
  weightsLabel: 'kernel, bias',
  outputLabel: 'weights.out<br>→ 10 scores',
  title: 'One cell with a loop = the same cell unrolled over the time steps',
  inputLabel: (t: number): string => `x<sub>${t}</sub> = row ${t}`,
} as const;

/**
 * The tutorial's schematic: on the left a cell with a loop (its state feeds its next step), on the
 * right the same cell unrolled, one box per time step, every box with the same weights, the
 * last output going to the output layer. Boxes, arrows and text only (no data traces).
 */
export function unrolledRnnFigure(options: UnrolledRnnOptions = {}): Figure {
  const o = { ...UNROLLED_RNN_DEFAULTS, ...options };
  check(
    Number.isInteger(o.steps) && o.steps >= 1,
    `unrolledRnnFigure: steps must be a positive integer, got ${o.steps}`,
  );
  const shown = o.shownSteps ?? (o.steps <= 5 ? Array.from({ length: o.steps }, (_, t) => t) : [0, 1, 2, o.steps - 1]);
  check(shown.length > 0, 'unrolledRnnFigure: shownSteps is empty');
  shown.forEach((t, k) => {
    check(
      Number.isInteger(t) && t >= 0 && t < o.steps,
      `unrolledRnnFigure: shownSteps[${k}] = ${t} is not a step 0..${o.steps - 1}`,
    );
    check(
      k === 0 || t > (shown[k - 1] as number),
      `unrolledRnnFigure: shownSteps must increase, got ${shown.join(', ')}`,
    );
  });

  const shapes: Partial<Shape>[] = [];
  const annotations: Partial<Annotations>[] = [];
  const box = (x0: number, x1: number, y0: number, y1: number, text: string, fill = BOX_COLOR): void => {
    shapes.push({
      type: 'rect',
      x0,
      x1,
      y0,
      y1,
      xref: 'x',
      yref: 'y',
      line: { color: LINE_COLOR, width: 1.5 },
      fillcolor: fill,
      layer: 'below',
    });
    annotations.push({
      x: (x0 + x1) / 2,
      y: (y0 + y1) / 2,
      xref: 'x',
      yref: 'y',
      text,
      showarrow: false,
      font: { size: 12 },
    });
  };
  const arrow = (fromX: number, fromY: number, toX: number, toY: number): void => {
    annotations.push({
      x: toX,
      y: toY,
      ax: fromX,
      ay: fromY,
      xref: 'x',
      yref: 'y',
      axref: 'x',
      ayref: 'y',
      text: '',
      showarrow: true,
      arrowhead: 2,
      arrowsize: 1.2,
      arrowwidth: 1.5,
      arrowcolor: LINE_COLOR,
    });
  };
  const text = (x: number, y: number, t: string, size = 12, color = LINE_COLOR): void => {
    annotations.push({ x, y, xref: 'x', yref: 'y', text: t, showarrow: false, font: { size, color } });
  };

  // Folded: the cell, its input below, its output above, its state looping back into it.
  box(0.4, 2.0, 2, 3, `${o.cellLabel}<br><i>${o.weightsLabel}</i>`);
  arrow(1.2, 0.9, 1.2, 2);
  text(1.2, 0.6, 'x<sub>t</sub>');
  arrow(1.2, 3, 1.2, 4.1);
  text(1.2, 4.35, 'h<sub>t</sub>');
  shapes.push({
    type: 'path',
    path: 'M 2.0,2.75 L 2.55,2.75 L 2.55,2.25 L 2.05,2.25',
    xref: 'x',
    yref: 'y',
    line: { color: LINE_COLOR, width: 1.5 },
  });
  arrow(2.3, 2.25, 2.02, 2.25);
  text(2.55, 3.05, 'state', 11);
  text(3.05, 2.5, '=', 22);

  // Unrolled: one box per shown step, "…" where steps are skipped.
  const left = 4.3;
  let x = left;
  const width = 1.5;
  const gap = 0.8;
  let previousRight: number | undefined;
  shown.forEach((t, k) => {
    if (k > 0 && t !== (shown[k - 1] as number) + 1) {
      text(x + 0.25, 2.5, '…', 20);
      if (previousRight !== undefined) arrow(previousRight, 2.5, x, 2.5);
      previousRight = x + 0.5;
      x += 0.5 + gap;
    }
    box(x, x + width, 2, 3, `${o.cellLabel}<br>step ${t}`);
    text(x + width / 2, 1.75, `<i>${o.weightsLabel}</i>`, 10, '#08519c');
    arrow(x + width / 2, 0.9, x + width / 2, 1.6);
    text(x + width / 2, 0.6, o.inputLabel(t), 11);
    arrow(x + width / 2, 3, x + width / 2, 4.1);
    text(x + width / 2, 4.35, `h<sub>${t}</sub>`, 12);
    if (previousRight !== undefined) arrow(previousRight, 2.5, x, 2.5);
    else {
      text(x - 0.62, 2.5, 'zero<br>state', 9);
      arrow(x - 0.35, 2.5, x, 2.5);
    }
    previousRight = x + width;
    x += width + gap;
  });
  const last = shown[shown.length - 1] as number;
  // The output layer reads only the last step's h, as the tutorial does.
  const outX = x + 0.2;
  box(outX, outX + 1.7, 3.7, 4.7, o.outputLabel, '#fdd0a2');
  arrow(previousRight !== undefined ? previousRight - width / 2 + 0.3 : outX, 4.2, outX, 4.2);
  const right = outX + 1.9;
  text(
    (left + right) / 2,
    0.05,
    `the same ${o.weightsLabel} at all ${o.steps} steps; only x<sub>t</sub> and the state change`,
    12,
    '#08519c',
  );
  return {
    data: [
      {
        type: 'scatter',
        x: [0, right],
        y: [0, 5],
        mode: 'markers',
        marker: { opacity: 0 },
        hoverinfo: 'skip',
        showlegend: false,
      },
    ],
    layout: {
      title: { text: o.title ?? `unrolled over ${last + 1} steps` },
      height: 340,
      margin: { l: 10, r: 10, t: 50, b: 10 },
      xaxis: { visible: false, range: [-0.1, right + 0.1], fixedrange: true },
      yaxis: { visible: false, range: [-0.3, 5], fixedrange: true },
      shapes,
      annotations,
      plot_bgcolor: '#ffffff',
    },
  };
}

/** One panel of `lstmInsideFigure`: values over time for one quantity. */
export interface InsidePanel {
  /** Shown as the panel's axis title, e.g. "h (output)" or "f (forget gate)". */
  readonly name: string;
  /** `[steps][units]`. */
  readonly values: ReadonlyArray<ArrayLike<number>>;
  /** Colour range; default symmetric around 0. Gates use [0, 1]. */
  readonly range?: readonly [number, number];
  /** Default 'RdBu' reversed (positive red) for symmetric ranges, white-to-green for [0, 1]. */
  readonly colorscale?: ColorScale;
}

const GATE_SCALE: ColorScale = [
  [0, '#ffffff'],
  [1, '#00441b'],
];
const SIGNED_SCALE: ColorScale = [
  [0, '#2166ac'],
  [0.5, '#f7f7f7'],
  [1, '#b2182b'],
];

/**
 * The input digit (time across, pixels down) above one heatmap per quantity (time across,
 * units down), all sharing the time axis: what the network reads at step t lines up with
 * what its gates and states do at step t.
 */
export function lstmInsideFigure(
  rows: ReadonlyArray<ArrayLike<number>>,
  panels: readonly InsidePanel[],
  options: { readonly title?: string; readonly panelHeight?: number } = {},
): Figure {
  check(panels.length > 0, 'lstmInsideFigure: no panels');
  const steps = rows.length;
  check(steps > 0, 'lstmInsideFigure: the input has no time steps');
  panels.forEach((p) =>
    check(
      p.values.length === steps,
      `lstmInsideFigure: panel "${p.name}" has ${p.values.length} steps, the input ${steps}`,
    ),
  );
  const panelHeight = options.panelHeight ?? 170;
  const all = [
    { name: 'input: row t<br>(pixels down)', values: rows, range: [0, 1] as const, colorscale: INK },
    ...panels,
  ];
  const count = all.length;
  const gap = 0.025;
  const slot = 1 / count;
  const data: Data[] = [];
  const layout: Partial<Layout> = {
    title: { text: options.title ?? 'Inside the LSTM, step by step' },
    height: count * panelHeight + 110,
    margin: { l: 90, r: 20, t: 60, b: 50 },
    xaxis: { title: { text: 'time step t (row read)' }, anchor: `y${count}` as Layout['xaxis']['anchor'], dtick: 2 },
  };
  all.forEach((panel, k) => {
    const width = (panel.values[0] as ArrayLike<number>).length;
    panel.values.forEach((v, t) =>
      check(
        v.length === width,
        `lstmInsideFigure: panel "${panel.name}" step ${t} has ${v.length} values, step 0 has ${width}`,
      ),
    );
    const range = panel.range ?? symmetricRange(panel.values);
    const signed = range[0] < 0;
    const top = 1 - k * slot;
    const domain: [number, number] = [Math.max(0, top - slot + gap), top - gap / 2];
    const axis = k === 0 ? '' : `${k + 1}`;
    data.push({
      type: 'heatmap',
      // plotly draws z[row][column]: units (or pixels) down, time across.
      z: Array.from({ length: width }, (_, u) => panel.values.map((v) => v[u] ?? 0)),
      x: panel.values.map((_, t) => t),
      zmin: range[0],
      zmax: range[1],
      colorscale: panel.colorscale ?? (signed ? SIGNED_SCALE : GATE_SCALE),
      xaxis: 'x',
      yaxis: `y${axis}` as 'y',
      colorbar: { y: (domain[0] + domain[1]) / 2, len: domain[1] - domain[0], thickness: 12 },
      showscale: k > 0,
      hovertemplate: `${panel.name.replace(/<[^>]*>/g, ' ')}: step %{x}, ${k === 0 ? 'pixel' : 'unit'} %{y}: %{z:.3f}<extra></extra>`,
    });
    (layout as Record<string, unknown>)[`yaxis${axis}`] = {
      domain,
      title: { text: panel.name, font: { size: 11 } },
      autorange: 'reversed',
      showticklabels: false,
    };
  });
  return { data, layout };
}
