/**
 * Charts of results for the teaching notebooks: named lines, a PCA scatter, a gallery of
 * predictions and accuracy per class. Pure builders with the rules of src/plot/style.ts.
 */
import type { Dash, Data } from 'plotly.js';
import { check, LINE_COLOR, PALETTE, PIXELS } from './style';
import { tiledDigitsFigure, type DigitTile } from './digits';
import type { Figure } from './style';
import type { ClassAccuracy } from '../metrics';

/** One line of `lineChartFigure`. */
export interface LineSeries {
  readonly name: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly dash?: Dash;
  readonly color?: string;
}

/** Options of `lineChartFigure`. */
export interface LineChartOptions {
  readonly title?: string;
  readonly xTitle?: string;
  readonly yTitle?: string;
  /** A logarithmic y axis, for quantities that shrink geometrically (gradients through time). */
  readonly logY?: boolean;
  readonly yRange?: readonly [number, number];
  readonly height?: number;
  /** Draw markers on the points as well as lines. */
  readonly markers?: boolean;
}

export const LINE_CHART_DEFAULTS = {
  title: '',
  xTitle: '',
  yTitle: '',
  logY: false,
  height: 420,
  markers: false,
} as const;

/** Named lines over x: loss curves, gradient norms per time step, activation functions. */
export function lineChartFigure(series: readonly LineSeries[], options: LineChartOptions = {}): Figure {
  const o = { ...LINE_CHART_DEFAULTS, ...options };
  check(series.length > 0, 'lineChartFigure: no series');
  series.forEach((s) =>
    check(
      s.x.length === s.y.length,
      `lineChartFigure: series "${s.name}" has ${s.x.length} x values but ${s.y.length} y values`,
    ),
  );
  if (o.logY) {
    series.forEach((s) =>
      check(
        s.y.every((v) => v > 0),
        `lineChartFigure: series "${s.name}" has values <= 0, which a log axis cannot show`,
      ),
    );
  }
  const yRange = o.yRange === undefined ? undefined : o.logY ? o.yRange.map(Math.log10) : [...o.yRange];
  return {
    data: series.map(
      (s): Data => ({
        type: 'scatter',
        mode: o.markers ? 'lines+markers' : 'lines',
        name: s.name,
        x: [...s.x],
        y: [...s.y],
        line: {
          width: 2,
          ...(s.dash === undefined ? {} : { dash: s.dash }),
          ...(s.color === undefined ? {} : { color: s.color }),
        },
      }),
    ),
    layout: {
      title: { text: o.title },
      height: o.height,
      margin: { l: 70, r: 20, t: 60, b: 60 },
      hovermode: 'x',
      xaxis: { title: { text: o.xTitle } },
      yaxis: {
        title: { text: o.yTitle },
        type: o.logY ? 'log' : 'linear',
        ...(yRange === undefined ? {} : { range: yRange }),
      },
    },
  };
}

/** Options of `pcaScatterFigure`. */
export interface PcaScatterOptions {
  readonly title?: string;
  /** Fractions of the variance along the two axes, shown in the axis titles. */
  readonly explained?: readonly [number, number];
  readonly height?: number;
}

/** Points projected on two principal components `[n][2]`, one colour (and legend entry) per label. */
export function pcaScatterFigure(
  projections: ReadonlyArray<readonly number[]>,
  labels: ArrayLike<number>,
  options: PcaScatterOptions = {},
): Figure {
  check(
    projections.length === labels.length,
    `pcaScatterFigure: ${projections.length} points but ${labels.length} labels`,
  );
  projections.forEach((p, n) =>
    check(p.length >= 2, `pcaScatterFigure: point ${n} has ${p.length} coordinates, needs 2`),
  );
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const axis = (k: 0 | 1): string => {
    const share = o.explained?.[k];
    return `principal component ${k + 1}${share === undefined ? '' : ` (${(100 * share).toFixed(1)}% of the variance)`}`;
  };
  const o = { height: 560, ...options };
  return {
    data: classes.map((label): Data => {
      const members = projections.filter((_, n) => labels[n] === label);
      return {
        type: 'scatter',
        mode: 'markers',
        name: `${label}`,
        x: members.map((p) => p[0] as number),
        y: members.map((p) => p[1] as number),
        marker: { size: 6, opacity: 0.75, color: PALETTE[label % PALETTE.length] as string },
        hovertemplate: `digit ${label}: (%{x:.2f}, %{y:.2f})<extra></extra>`,
      };
    }),
    layout: {
      title: { text: o.title ?? `${projections.length} points, coloured by label` },
      height: o.height,
      margin: { l: 70, r: 20, t: 60, b: 60 },
      legend: { title: { text: 'label' } },
      xaxis: { title: { text: axis(0) }, zeroline: false },
      yaxis: { title: { text: axis(1) }, zeroline: false },
    },
  };
}

/** What `predictionGalleryFigure` draws, in the order given. */
export interface PredictionGalleryInput {
  /** Digits of 784 values each. [n][784] */
  readonly digits: ReadonlyArray<ArrayLike<number>>;
  readonly trueLabels: ArrayLike<number>;
  readonly predLabels: ArrayLike<number>;
  /** Probability of the predicted class. [n] */
  readonly confidence: ArrayLike<number>;
}

/** Options of `predictionGalleryFigure`. */
export interface PredictionGalleryOptions {
  readonly title?: string;
  readonly columns?: number;
  /** Height of one grid row in pixels. */
  readonly rowHeight?: number;
}

export const PREDICTION_GALLERY_DEFAULTS = { columns: 8, rowHeight: 100 } as const;

/**
 * Digits tiled in one heatmap, each captioned with the prediction and its confidence: `7 · 98%`
 * when right, `true 4 → 9 · 61%` in red (and framed) when wrong. Drawn in the given order.
 */
export function predictionGalleryFigure(input: PredictionGalleryInput, options: PredictionGalleryOptions = {}): Figure {
  const o = { ...PREDICTION_GALLERY_DEFAULTS, ...options };
  const { digits, trueLabels, predLabels, confidence } = input;
  const n = digits.length;
  check(n > 0, 'predictionGalleryFigure: no digits');
  for (const [name, values] of [
    ['trueLabels', trueLabels],
    ['predLabels', predLabels],
    ['confidence', confidence],
  ] as const) {
    check(values.length === n, `predictionGalleryFigure: ${n} digits but ${values.length} ${name}`);
  }
  digits.forEach((d, k) =>
    check(d.length === PIXELS, `predictionGalleryFigure: digits[${k}] has ${d.length} values, expected ${PIXELS}`),
  );
  check(
    Number.isInteger(o.columns) && o.columns >= 1,
    `predictionGalleryFigure: columns must be a positive integer, got ${o.columns}`,
  );
  const tiles = Array.from({ length: n }, (_, k): DigitTile => {
    const wrong = predLabels[k] !== trueLabels[k];
    const percent = `${Math.round(100 * (confidence[k] as number))}%`;
    return {
      digit: digits[k] as ArrayLike<number>,
      caption: wrong ? `${trueLabels[k]}→${predLabels[k]} · ${percent}` : `${predLabels[k]} · ${percent}`,
      mistake: wrong,
    };
  });
  const mistakes = tiles.filter((t) => t.mistake).length;
  const title = o.title ?? `${n} digits: prediction · confidence; true→predicted in red for the ${mistakes} mistakes`;
  return tiledDigitsFigure(tiles, {
    columns: o.columns,
    rowHeight: o.rowHeight,
    title,
    captionSize: 12,
    captionGap: 16,
  });
}

/** Accuracy per class as bars, each labelled with correct/total. */
export function perClassAccuracyFigure(
  perClass: readonly ClassAccuracy[],
  options: { readonly title?: string } = {},
): Figure {
  check(perClass.length > 0, 'perClassAccuracyFigure: no classes');
  const overall =
    perClass.reduce((s, c) => s + c.correct, 0) /
    Math.max(
      1,
      perClass.reduce((s, c) => s + c.total, 0),
    );
  return {
    data: [
      {
        type: 'bar',
        x: perClass.map((c) => `${c.label}`),
        y: perClass.map((c) => (c.total === 0 ? 0 : c.accuracy)),
        text: perClass.map((c) => `${c.correct}/${c.total}`),
        textposition: 'outside',
        marker: { color: perClass.map((c) => PALETTE[c.label % PALETTE.length] as string) },
        hovertemplate: 'digit %{x}: %{y:.3f} (%{text})<extra></extra>',
      },
      {
        type: 'scatter',
        mode: 'lines',
        name: 'all digits',
        x: [perClass[0]?.label ?? 0, perClass[perClass.length - 1]?.label ?? 0].map(String),
        y: [overall, overall],
        line: { dash: 'dash', color: LINE_COLOR, width: 1 },
        hoverinfo: 'skip',
      },
    ],
    layout: {
      title: { text: options.title ?? `Accuracy per digit (dashed: all digits, ${(100 * overall).toFixed(1)}%)` },
      height: 420,
      margin: { l: 70, r: 20, t: 60, b: 60 },
      showlegend: false,
      xaxis: { title: { text: 'true digit' }, type: 'category' },
      yaxis: { title: { text: 'accuracy' }, range: [0, 1.1] },
    },
  };
}
