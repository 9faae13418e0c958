export { accuracy, softmaxCrossEntropy, type Classifier } from './classifier';
export { basicLstmCellStep, SeedLstm, SEED_LSTM_DEFAULTS, type LstmState, type SeedLstmOptions } from './seed-lstm';
export { buildLayersModel, layersClassifier, seedToLayersWeights, LAYERS_MODEL_DEFAULTS, type LayersClassifier, type LayersModelOptions } from './layers-lstm';
export { buildClassifier, CLASSIFIER_DEFAULTS, defaultKind, MODEL_KINDS, resolveClassifierOptions, type ModelKind, type ClassifierOptions } from './build';
export { buildFamilyModel, CELL_TYPES, FAMILY_MODEL_DEFAULTS, familyName, isCellType, isLayersClassifier, ReverseTime, type CellType, type FamilyModelOptions } from './families';
export { checkSaveTarget, loadModel, modelFolderHandler, saveModel, MODEL_JSON, WEIGHTS_BIN, type LoadedClassifier, type SavedModelInfo, type SaveModelOptions } from './save';
