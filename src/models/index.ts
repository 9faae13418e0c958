export { softmaxCrossEntropy, type Classifier } from './classifier';
export {
  basicLstmCellGates,
  basicLstmCellStep,
  BasicLstmClassifier,
  type BasicWeights,
  type LstmGates,
  type LstmState,
} from './basic-lstm';
export {
  assignBasicWeights,
  basicLstmFromLayers,
  basicToLayersWeights,
  layersToBasicWeights,
} from './lstm-mapping';
export { buildClassifier, buildLayersModel, modelName } from './build';
export { isLayersClassifier, layersClassifier, type LayersClassifier } from './layers-classifier';
export { FusedLstm, fusedLstm, type FusedLstmArgs } from './fused-lstm';
export { loadModel, saveModel, type LoadedClassifier, type SavedModelInfo, type SaveModelOptions } from './save';
