/**
 * `plot`: charts of training runs rendered headlessly to SVG (vega-lite + vega, optional packages
 * loaded on first use). This file only re-exports.
 */
export { trainingCurvesSpec, trainingCurvesSvg, type TrainingHistory, type VegaLiteSpec } from './curves.js';
