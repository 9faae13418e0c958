export { accuracy, softmaxCrossEntropy, type Classifier } from './classifier';
export { basicLstmCellStep, SeedLstm, SEED_LSTM_DEFAULTS, type LstmState, type SeedLstmOptions } from './seed-lstm';
export { buildLayersModel, layersClassifier, seedToLayersWeights, LAYERS_MODEL_DEFAULTS, type LayersModelOptions } from './layers-lstm';
export { buildClassifier, CLASSIFIER_DEFAULTS, MODEL_KINDS, type ModelKind, type ClassifierOptions } from './build';
