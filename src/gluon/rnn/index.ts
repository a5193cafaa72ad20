/**
 * The `rnn` namespace (Gluon's `gluon.rnn`): the fused layers and the cells.
 */
export {
  RNN, LSTM, GRU, RecurrentLayer,
  type RecurrentLayerOptions, type RNNOptions, type LSTMOptions, type StateInfo, type BeginStateOptions,
} from './rnn-layer.js';
export { RecurrentCell, RNNCell, LSTMCell, GRUCell, type CellOptions, type RNNCellOptions, type UnrollOptions } from './rnn-cell.js';
export { SequentialRNNCell, DropoutCell, ResidualCell, BidirectionalCell, type DropoutCellOptions } from './rnn-cell-containers.js';
