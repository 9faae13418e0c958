/** The data part of the helper: MNIST from IDX files, a download cache, or the bundled digits. */
export { BUNDLED_SPLIT, loadBundled } from './bundled';
export {
  type Batch,
  DataSet,
  type DataSetOptions,
  type Datasets,
  IMAGE_PIXELS,
  IMAGE_SIZE,
  NUM_CLASSES,
} from './dataset';
export {
  DEFAULT_MIRROR,
  DownloadError,
  type DownloadOptions,
  type DownloadProgress,
  downloadFile,
  type EnsureOptions,
  ensureMnistFiles,
  MNIST_FILES,
  type MnistFile,
} from './download';
export {
  encodeIdxImages,
  encodeIdxLabels,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  type IdxImages,
  maybeGunzip,
  parseIdxImages,
  parseIdxLabels,
} from './idx';
export { type DataSource, defaultCacheDir, type LoadMnistOptions, loadMnist } from './mnist';
