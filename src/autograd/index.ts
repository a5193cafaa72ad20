/** The `autograd` namespace: recording, backward, train/predict mode and gradient checking. */
export { record, pause, trainMode, predictMode, isRecording, isTraining } from './state.js';
export { backward, attachGrad, detach, type BackwardOptions } from './backward.js';
export { checkGradient, assertGradient, GradientCheckError, type GradCheckOptions, type GradCheckResult } from './gradcheck.js';
