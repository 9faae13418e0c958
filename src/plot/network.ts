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

/** Boxes, arrows, circles and text in data coordinates: what the diagrams below are drawn with. */
function diagram(): {
  shapes: Partial<Shape>[];
  annotations: Partial<Annotations>[];
  box: (x0: number, x1: number, y0: number, y1: number, text: string, fill?: string) => void;
  circle: (x: number, y: number, r: number, text: string, fill?: string) => void;
  arrow: (fromX: number, fromY: number, toX: number, toY: number) => void;
  line: (points: readonly (readonly [number, number])[]) => void;
  text: (x: number, y: number, t: string, size?: number, color?: string) => void;
} {
  const shapes: Partial<Shape>[] = [];
  const annotations: Partial<Annotations>[] = [];
  const text = (x: number, y: number, t: string, size = 12, color = LINE_COLOR): void => {
    annotations.push({ x, y, xref: 'x', yref: 'y', text: t, showarrow: false, font: { size, color } });
  };
  const outline = { color: LINE_COLOR, width: 1.5 };
  return {
    shapes,
    annotations,
    text,
    box(x0, x1, y0, y1, label, fill = BOX_COLOR) {
      shapes.push({
        type: 'rect',
        x0,
        x1,
        y0,
        y1,
        xref: 'x',
        yref: 'y',
        line: outline,
        fillcolor: fill,
        layer: 'below',
      });
      annotations.push({
        x: (x0 + x1) / 2,
        y: (y0 + y1) / 2,
        xref: 'x',
        yref: 'y',
        text: label,
        showarrow: false,
        font: { size: 12 },
      });
    },
    circle(x, y, r, label, fill = '#ffffff') {
      shapes.push({
        type: 'circle',
        x0: x - r,
        x1: x + r,
        y0: y - r,
        y1: y + r,
        xref: 'x',
        yref: 'y',
        line: outline,
        fillcolor: fill,
      });
      text(x, y, label, 13);
    },
    arrow(fromX, fromY, toX, toY) {
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
    },
    line(points) {
      const path = points.map(([x, y], k) => `${k === 0 ? 'M' : 'L'} ${x},${y}`).join(' ');
      shapes.push({ type: 'path', path, xref: 'x', yref: 'y', line: outline });
    },
  };
}

/** An invisible trace that makes plotly draw axes of this extent (the diagrams have no data). */
function extent(right: number, top: number): Data {
  return {
    type: 'scatter',
    x: [0, right],
    y: [0, top],
    mode: 'markers',
    marker: { opacity: 0 },
    hoverinfo: 'skip',
    showlegend: false,
  };
}

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

  const { shapes, annotations, box, arrow, line, text } = diagram();

  // Folded: the cell, its input below, its output above, its state looping back into it.
  box(0.4, 2.0, 2, 3, `${o.cellLabel}<br><i>${o.weightsLabel}</i>`);
  arrow(1.2, 0.9, 1.2, 2);
  text(1.2, 0.6, 'x<sub>t</sub>');
  arrow(1.2, 3, 1.2, 4.1);
  text(1.2, 4.35, 'h<sub>t</sub>');
  line([
    [2.0, 2.75],
    [2.55, 2.75],
    [2.55, 2.25],
    [2.05, 2.25],
  ]);
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
    data: [extent(right, 5)],
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

/** Options of `lstmCellFigure`. */
export interface LstmCellFigureOptions {
  /** BasicLSTMCell's forget_bias, written beside the forget gate. */
  readonly forgetBias?: number;
  readonly title?: string;
}

export const LSTM_CELL_FIGURE_DEFAULTS = { forgetBias: 1, title: 'One step of the BasicLSTMCell' } as const;

/**
 * One step of the tutorial's BasicLSTMCell as a gate diagram: the memory c running along the top,
 * changed only by the forget gate's ⊗ and the ⊕ of what the input gate lets in; below it the four
 * blocks of [x_t, h_(t−1)]·kernel + bias (i, j, f, o in BasicLSTMCell's order) with their
 * activations; on the right the output h_t = o′ ⊙ tanh(c_t). The equations are written under it.
 */
export function lstmCellFigure(options: LstmCellFigureOptions = {}): Figure {
  const o = { ...LSTM_CELL_FIGURE_DEFAULTS, ...options };
  check(Number.isFinite(o.forgetBias), `lstmCellFigure: forgetBias must be a finite number, got ${o.forgetBias}`);
  const { shapes, annotations, box, circle, arrow, line, text } = diagram();
  const memoryY = 5;
  const inputY = 1.3;
  const gateY0 = 2.1;
  const gateY1 = 2.8;
  shapes.push({
    type: 'rect',
    x0: 1.2,
    x1: 9.6,
    y0: 0.85,
    y1: 5.6,
    xref: 'x',
    yref: 'y',
    line: { color: '#9ecae1', width: 1, dash: 'dot' },
    fillcolor: '#f7fbff',
    layer: 'below',
  });
  // The memory: in from the left, out to the right, touched by two operations only.
  line([
    [0.1, memoryY],
    [2.72, memoryY],
  ]);
  line([
    [3.28, memoryY],
    [5.32, memoryY],
  ]);
  arrow(5.88, memoryY, 10.9, memoryY);
  text(0.45, memoryY + 0.32, 'c<sub>t−1</sub>', 13);
  text(10.55, memoryY + 0.32, 'c<sub>t</sub>', 13);
  text(7.3, memoryY + 0.32, 'memory', 11, '#08519c');
  circle(3, memoryY, 0.28, '×');
  circle(5.6, memoryY, 0.28, '+');
  // The input: x_t and h_(t−1) side by side, read by all four gates.
  line([
    [0.1, inputY],
    [7.4, inputY],
  ]);
  arrow(1.8, 0.15, 1.8, inputY);
  text(2.15, 0.3, 'x<sub>t</sub>', 13);
  text(0.45, inputY + 0.3, 'h<sub>t−1</sub>', 13);
  text(4.5, 0.95, '[x<sub>t</sub>, h<sub>t−1</sub>] · kernel + bias  →  i, j, f, o', 11, '#08519c');
  const gates: readonly (readonly [string, number, string])[] = [
    ['f', 3, 'σ'],
    ['i', 4.5, 'σ'],
    ['j', 5.6, 'tanh'],
    ['o', 7.4, 'σ'],
  ];
  for (const [name, x, activation] of gates) {
    arrow(x, inputY, x, gateY0);
    box(x - 0.42, x + 0.42, gateY0, gateY1, activation, '#fdd0a2');
    text(x - 0.62, gateY1 + 0.18, `<b>${name}′</b>`, 12);
  }
  text(2.2, gateY1 + 0.75, `forget_bias ${o.forgetBias}<br>added inside σ`, 10, '#08519c');
  // Forget: f′ scales the old memory.
  arrow(3, gateY1, 3, memoryY - 0.28);
  // Write: i′ ⊙ j′ is added to it.
  circle(5.6, 3.9, 0.28, '×');
  arrow(4.5, gateY1, 5.38, 3.75);
  arrow(5.6, gateY1, 5.6, 3.62);
  arrow(5.6, 4.18, 5.6, memoryY - 0.28);
  // Output: h_t = o′ ⊙ tanh(c_t).
  arrow(8.5, memoryY, 8.5, 4.3);
  box(8.08, 8.92, 3.7, 4.3, 'tanh', '#fdd0a2');
  circle(8.5, 3.1, 0.28, '×');
  arrow(8.5, 3.7, 8.5, 3.38);
  arrow(7.4, gateY1, 8.26, 3.0);
  arrow(8.78, 3.1, 10.9, 3.1);
  text(10.55, 3.42, 'h<sub>t</sub>', 13);
  text(
    5.5,
    -0.45,
    'c<sub>t</sub> = f′ ⊙ c<sub>t−1</sub> + i′ ⊙ j′      h<sub>t</sub> = o′ ⊙ tanh(c<sub>t</sub>)      i′ = σ(i), j′ = tanh(j), f′ = σ(f + forget_bias), o′ = σ(o)',
    12,
  );
  return {
    data: [extent(11, 5.9)],
    layout: {
      title: { text: o.title },
      height: 430,
      margin: { l: 10, r: 10, t: 50, b: 10 },
      xaxis: { visible: false, range: [-0.1, 11.1], fixedrange: true },
      yaxis: { visible: false, range: [-0.8, 5.9], fixedrange: true },
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
