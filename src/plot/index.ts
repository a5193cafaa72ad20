/**
 * `plot`: charts of training runs rendered headlessly to SVG (vega-lite + vega). This file only
 * re-exports.
 */
export { trainingCurvesSpec, trainingCurvesSvg, type TrainingHistory } from './curves.js';
