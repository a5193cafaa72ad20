/**
 * Training curves as an SVG image, rendered headlessly with vega-lite and vega (no browser, no
 * canvas): loss on the left, accuracy on the right, one line per series. Used by the demo, the
 * `tsgluon train` command and the examples; D2L readers know it as `d2l.plot`'s animator.
 *
 * vega and vega-lite are optional peer dependencies, imported on first use: a program that never
 * renders a chart does not need them installed, and the public types do not mention them (the
 * specification is plain JSON).
 */
import { MissingDependencyError } from '../core/errors.js';

/** A vega-lite specification as plain JSON (vega-lite's `TopLevelSpec`). */
export type VegaLiteSpec = { [key: string]: unknown };

/** What a training run records once per epoch. Missing series are simply not drawn. */
export interface TrainingHistory {
  /** Average training loss per epoch. */
  trainLoss: number[];
  /** Training accuracy per epoch. */
  trainAcc?: number[];
  /** Test (or validation) accuracy per epoch. */
  testAcc?: number[];
  /** Test loss per epoch. */
  testLoss?: number[];
}

interface Point {
  epoch: number;
  value: number;
  series: string;
}

function points(values: readonly number[] | undefined, series: string): Point[] {
  return (values ?? []).flatMap((value, i) => (Number.isFinite(value) ? [{ epoch: i + 1, value, series }] : []));
}

function panel(title: string, values: Point[], yTitle: string, zero: boolean): object {
  return {
    title,
    width: 320,
    height: 220,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero } },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom' } },
    },
  };
}

/**
 * The vega-lite specification of the curves (for custom rendering or tweaking).
 * @example const spec = trainingCurvesSpec({ trainLoss: [0.5, 0.3], testAcc: [0.9, 0.95] });
 */
export function trainingCurvesSpec(history: TrainingHistory, options: { title?: string } = {}): VegaLiteSpec {
  const loss = [...points(history.trainLoss, 'train loss'), ...points(history.testLoss, 'test loss')];
  const acc = [...points(history.trainAcc, 'train accuracy'), ...points(history.testAcc, 'test accuracy')];
  const panels = [panel('loss', loss, 'loss', true)];
  if (acc.length > 0) panels.push(panel('accuracy', acc, 'accuracy', false));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...(options.title ? { title: { text: options.title, anchor: 'middle', fontSize: 15 } } : {}),
    background: 'white',
    hconcat: panels,
  };
}

/** Imports vega and vega-lite, or says which of them to install. */
async function loadVega(caller: string): Promise<[typeof import('vega'), typeof import('vega-lite')]> {
  const missing: string[] = [];
  const load = async <T>(name: string, importer: () => Promise<T>): Promise<T | null> => {
    try {
      return await importer();
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw e;
      missing.push(name);
      return null;
    }
  };
  const [vega, vegaLite] = await Promise.all([load('vega', () => import('vega')), load('vega-lite', () => import('vega-lite'))]);
  if (vega === null || vegaLite === null) {
    throw new MissingDependencyError(
      `${caller}: drawing charts needs the optional package${missing.length > 1 ? 's' : ''} ${missing.join(' and ')}, ` +
        `which ${missing.length > 1 ? 'are' : 'is'} not installed: npm install ${missing.join(' ')}`,
    );
  }
  return [vega, vegaLite];
}

/**
 * Renders the curves to an SVG string.
 * @example writeFileSync('curves.svg', await trainingCurvesSvg(history, { title: 'MLP on digits' }));
 */
export async function trainingCurvesSvg(history: TrainingHistory, options: { title?: string } = {}): Promise<string> {
  const [vega, vegaLite] = await loadVega('plot.trainingCurvesSvg');
  const spec = trainingCurvesSpec(history, options) as unknown as Parameters<typeof vegaLite.compile>[0];
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
