/**
 * Training curves as an SVG image, rendered headlessly with vega-lite and vega (no browser, no
 * canvas; vega loads on first use): loss on the left, accuracy on the right, one line per series. Used by the demo, the
 * `tsgluon train` command and the examples; D2L readers know it as `d2l.plot`'s animator.
 */
import type { TopLevelSpec } from 'vega-lite';

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
export function trainingCurvesSpec(history: TrainingHistory, options: { title?: string } = {}): TopLevelSpec {
  const loss = [...points(history.trainLoss, 'train loss'), ...points(history.testLoss, 'test loss')];
  const acc = [...points(history.trainAcc, 'train accuracy'), ...points(history.testAcc, 'test accuracy')];
  const panels = [panel('loss', loss, 'loss', true)];
  if (acc.length > 0) panels.push(panel('accuracy', acc, 'accuracy', false));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...(options.title ? { title: { text: options.title, anchor: 'middle', fontSize: 15 } } : {}),
    background: 'white',
    hconcat: panels,
  } as TopLevelSpec;
}

/**
 * Renders the curves to an SVG string.
 * @example writeFileSync('curves.svg', await trainingCurvesSvg(history, { title: 'MLP on digits' }));
 */
export async function trainingCurvesSvg(history: TrainingHistory, options: { title?: string } = {}): Promise<string> {
  // Loaded on first use: vega is large and most programs importing tsgluon never plot.
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(trainingCurvesSpec(history, options)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
