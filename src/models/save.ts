/**
 * Saving and loading trained classifiers as a folder, on every backend.
 *
 * The folder has tfjs-node's `file://` layout: `model.json` (`modelTopology`, `format`,
 * `generatedBy`, `convertedBy`, `weightsManifest: [{paths: ['weights.bin'], weights: [{name,
 * shape, dtype}]}]`, `userDefinedMetadata`) and `weights.bin` (the weights' bytes, little-endian,
 * in manifest order). tfjs-node's `tf.loadLayersModel('file://DIR/model.json')` reads it, and
 * `loadModel` reads folders tfjs-node wrote. The same handler is used on every backend (cpu,
 * wasm, tensorflow) so that saves are atomic everywhere: files go to a temporary folder next to
 * the target, which is renamed into place; a failed save leaves nothing behind.
 *
 * The `basic` kind (`BasicLstmClassifier`, not a tf.layers model) is saved as the equivalent
 * `tf.layers.lstm` + dense model (`basicToLayersWeights`: gate order mapped, `forget_bias` folded
 * into the bias), which computes the same logits; it loads back as that layers model. Models
 * holding the fused LSTM save its class name, registered with tf.serialization when this package
 * is imported (as is 0.1's `ReverseTime`, models/legacy.ts, so that older folders load).
 *
 * A folder that cannot be used or read is the user's to fix: those errors are UsageErrors.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';
import { BasicLstmClassifier } from './basic-lstm';
import { basicToLayersWeights } from './lstm-mapping';
import { buildLayersModel } from './build';
import type { Classifier } from './classifier';
import {
  isLayersClassifier,
  layersClassifier,
  withoutOrthogonalWarning,
  type LayersClassifier,
} from './layers-classifier';
import './legacy';

/** The topology and weights manifest file of a model folder. */
export const MODEL_JSON = 'model.json';
/** The weights file of a model folder (all weights, manifest order). */
export const WEIGHTS_BIN = 'weights.bin';
/** Key of this package's entry in `userDefinedMetadata`. */
export const METADATA_KEY = 'rnnNotebooks';

/** Bytes per value of the dtypes a layers model's weights can have. */
const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/** What `saveModel` wrote. */
export interface SavedModelInfo {
  readonly dir: string;
  readonly name: string;
  readonly weightBytes: number;
}

/** Options of `saveModel` and `modelFolderHandler`. */
export interface SaveModelOptions {
  /** JSON-safe facts stored under `userDefinedMetadata.rnnNotebooks` (e.g. the model options, a run id). */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** A loaded classifier, and the metadata it was saved with (`{}` if none). */
export interface LoadedClassifier extends LayersClassifier {
  readonly metadata: Readonly<Record<string, unknown>>;
}

async function statOrUndefined(p: string): Promise<import('node:fs').Stats | undefined> {
  return stat(p).catch(() => undefined);
}

/**
 * Throws unless `dir` is free to (re)place: missing, an empty folder, or a folder holding a saved
 * model and nothing else (saving replaces the whole folder, so any other file in it would be
 * lost), and, when it does not exist yet, somewhere a folder can be made (before long work: the
 * save itself would find out too late); given the model's size in `bytes`, that its disk has the
 * room. Returns whether saving there replaces a model.
 */
export async function checkSaveTarget(dir: string, bytes = 0): Promise<'new' | 'replace'> {
  const state = await saveTargetState(dir);
  const existing = await nearestExisting(dir);
  if (existing !== path.resolve(dir)) await checkWritable(dir, existing);
  if (bytes > 0) await checkFreeSpace(dir, existing, bytes);
  return state;
}

/** `dir` itself if it exists, else its nearest ancestor that does: where a save would make its folders. */
async function nearestExisting(dir: string): Promise<string> {
  let existing = path.resolve(dir);
  while ((await statOrUndefined(existing)) === undefined && path.dirname(existing) !== existing)
    existing = path.dirname(existing);
  return existing;
}

/**
 * Throws a UsageError when the disk that would hold `dir` (the one `existing` is on) has less room
 * than `bytes` (the weights about to be saved) and a megabyte: a full disk found before training,
 * not by the save.
 * The save writes the new model beside the old one before swapping them, so the old one's size is
 * not counted as free.
 */
async function checkFreeSpace(dir: string, existing: string, bytes: number): Promise<void> {
  const disk = await statfs(existing).catch(() => undefined);
  if (disk === undefined) return; // no answer from this file system: the save itself will tell
  const free = disk.bavail * disk.bsize;
  if (free < bytes + 1e6) {
    const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
    throw new UsageError(
      `cannot save a model to ${dir}: the disk holding ${existing} has ${mb(free)} free, the model needs about ${mb(bytes)}`,
    );
  }
}

/** `checkSaveTarget` without the write probe: for the save itself, which writes there next. */
async function saveTargetState(dir: string): Promise<'new' | 'replace'> {
  const info = await statOrUndefined(dir);
  if (info === undefined) return 'new';
  if (!info.isDirectory()) throw new UsageError(`${dir} exists and is not a folder; cannot save a model there`);
  const entries = await readdir(dir);
  if (entries.length === 0) return 'new';
  if (!entries.includes(MODEL_JSON)) {
    throw new UsageError(
      `${dir} is a folder without ${MODEL_JSON}; refusing to replace it with a model (choose a new folder)`,
    );
  }
  const others = entries.filter((e) => e !== MODEL_JSON && e !== WEIGHTS_BIN).sort();
  if (others.length > 0) {
    const shown = others.slice(0, 3).join(', ') + (others.length > 3 ? ` and ${others.length - 3} more` : '');
    throw new UsageError(
      `${dir} holds a saved model and also ${shown}; saving replaces the whole folder, so move them or choose a new folder`,
    );
  }
  return 'replace';
}

/**
 * Throws a UsageError unless a folder can be made where `dir` would go: found before the minutes
 * of training, not after (a read-only disk, no permission, a file where a folder should be). It
 * makes and removes a folder named like a save's temporary one in `existing`, the nearest folder
 * that exists.
 */
async function checkWritable(dir: string, existing: string): Promise<void> {
  try {
    await rm(await mkdtemp(path.join(existing, `.${path.basename(path.resolve(dir))}.tmp-`)), {
      recursive: true,
      force: true,
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new UsageError(
      `cannot save a model to ${dir}: ${existing} cannot be written (${typeof code === 'string' ? code : String(err)})`,
    );
  }
}

/**
 * What an earlier save of `target` that was killed may have left beside it: `.NAME.tmp-*` (a new
 * model being written, never in place) and `.NAME.old-*` (the model it was replacing, moved aside
 * for the moment between two renames).
 */
export async function saveLeftovers(target: string): Promise<{ temporary: string[]; previous: string[] }> {
  const parent = path.dirname(path.resolve(target));
  const prefix = `.${path.basename(path.resolve(target))}.`;
  const names = await readdir(parent).catch(() => [] as string[]);
  const pick = (kind: string): string[] =>
    names
      .filter((n) => n.startsWith(`${prefix}${kind}-`))
      .sort()
      .map((n) => path.join(parent, n));
  return { temporary: pick('tmp'), previous: pick('old') };
}

/** Writes `files` into `dir` atomically: a temporary sibling folder, renamed into place. */
async function writeFolderAtomically(dir: string, files: Readonly<Record<string, string | Uint8Array>>): Promise<void> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  await saveTargetState(target); // saveModel probed the folder a moment ago; the folder may have changed since
  // A save killed earlier left partial copies: they were never the saved model, so they go.
  const leftovers = await saveLeftovers(target);
  for (const temporary of leftovers.temporary) await rm(temporary, { recursive: true, force: true });
  const createdParent = await mkdir(parent, { recursive: true }); // the first folder created, if any
  let temp: string | undefined;
  let old: string | undefined;
  try {
    temp = await mkdtemp(path.join(parent, `.${path.basename(target)}.tmp-`));
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(temp, name), content);
    await chmod(temp, 0o755); // mkdtemp makes it private; a saved model is an ordinary folder
    if ((await statOrUndefined(target)) !== undefined) {
      // Replacing a saved model: move it aside first (rename cannot replace a non-empty folder).
      old = `${temp.replace('.tmp-', '.old-')}`;
      await rename(target, old);
    }
    await rename(temp, target);
    temp = undefined;
  } catch (err) {
    if (old !== undefined && (await statOrUndefined(target)) === undefined)
      await rename(old, target).catch(() => undefined);
    if (temp !== undefined) await rm(temp, { recursive: true, force: true });
    if (createdParent !== undefined) await rm(createdParent, { recursive: true, force: true });
    throw err;
  }
  if (old !== undefined) await rm(old, { recursive: true, force: true });
  // The model a killed save was replacing: this save has now replaced it.
  for (const previous of leftovers.previous) await rm(previous, { recursive: true, force: true });
}

/** A tfjs IOHandler that saves to (atomically) and loads from a model folder with tfjs-node's `file://` layout. */
export function modelFolderHandler(dir: string, options: SaveModelOptions = {}): tf.io.IOHandler {
  return {
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      if (artifacts.modelTopology instanceof ArrayBuffer || artifacts.modelTopology === undefined) {
        throw new Error(`saving to ${dir}: only models with a JSON topology (tf.layers models) can be saved`);
      }
      const weights =
        artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const userDefinedMetadata = {
        ...artifacts.userDefinedMetadata,
        ...(options.metadata !== undefined
          ? { [METADATA_KEY]: JSON.parse(JSON.stringify(options.metadata)) as object }
          : {}),
      };
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.format !== undefined ? { format: artifacts.format } : {}),
        ...(artifacts.generatedBy !== undefined ? { generatedBy: artifacts.generatedBy } : {}),
        ...(artifacts.convertedBy !== undefined ? { convertedBy: artifacts.convertedBy } : {}),
        ...(artifacts.trainingConfig !== undefined ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(Object.keys(userDefinedMetadata).length > 0 ? { userDefinedMetadata } : {}),
      };
      // Serialise before touching the disk, so a model that cannot be written leaves nothing.
      const json = JSON.stringify(modelJson);
      await writeFolderAtomically(dir, { [MODEL_JSON]: json, [WEIGHTS_BIN]: new Uint8Array(weights) });
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: Buffer.byteLength(JSON.stringify(artifacts.modelTopology)),
          weightSpecsBytes: Buffer.byteLength(JSON.stringify(artifacts.weightSpecs ?? [])),
          weightDataBytes: weights.byteLength,
        },
      };
    },
    load: (): Promise<tf.io.ModelArtifacts> => readModelFolder(dir),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One manifest entry, checked: a name, whole-number dims, a dtype we can size. */
function checkSpec(spec: unknown, where: string): tf.io.WeightsManifestEntry {
  if (
    !isRecord(spec) ||
    typeof spec.name !== 'string' ||
    !Array.isArray(spec.shape) ||
    typeof spec.dtype !== 'string'
  ) {
    throw new UsageError(`${where}: expected {name, shape, dtype}, got ${JSON.stringify(spec)?.slice(0, 80)}`);
  }
  if (!spec.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
    throw new UsageError(`${where} (${spec.name}): shape [${spec.shape.join(', ')}] is not whole numbers`);
  if (DTYPE_BYTES[spec.dtype] === undefined || spec.quantization !== undefined) {
    throw new UsageError(
      `${where} (${spec.name}): dtype ${spec.dtype}${spec.quantization !== undefined ? ' (quantized)' : ''} is not supported; expected float32, int32 or bool`,
    );
  }
  return { name: spec.name, shape: spec.shape as number[], dtype: spec.dtype as 'float32' | 'int32' | 'bool' };
}

function specBytes(spec: tf.io.WeightsManifestEntry): number {
  return spec.shape.reduce((n, d) => n * d, 1) * (DTYPE_BYTES[spec.dtype] ?? 0);
}

/** Reads and checks a model folder's files into ModelArtifacts; every error names the file. */
async function readModelFolder(dir: string): Promise<tf.io.ModelArtifacts> {
  const info = await statOrUndefined(dir);
  if (info === undefined) {
    // Killed between moving the old model aside and renaming the new one in: the model is there.
    const { previous } = await saveLeftovers(dir);
    const last = previous[previous.length - 1];
    if (last !== undefined)
      throw new UsageError(
        `${dir}: no such model folder, but a save that was stopped while replacing it left the previous model in ${last}: rename that to ${path.basename(dir)} to load it`,
      );
    throw new UsageError(`${dir}: no such model folder`);
  }
  if (!info.isDirectory())
    throw new UsageError(`${dir}: not a folder (expected a folder with ${MODEL_JSON} and ${WEIGHTS_BIN})`);
  const jsonPath = path.join(dir, MODEL_JSON);
  const text = await readFile(jsonPath, 'utf8').catch(() => undefined);
  if (text === undefined) throw new UsageError(`${jsonPath}: missing (not a saved model folder)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${jsonPath}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isRecord(parsed) || !isRecord(parsed.modelTopology))
    throw new UsageError(`${jsonPath}: no modelTopology object (not a tfjs layers model)`);
  const manifest = parsed.weightsManifest;
  if (!Array.isArray(manifest)) throw new UsageError(`${jsonPath}: no weightsManifest array`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const [g, group] of manifest.entries()) {
    const where = `${jsonPath}: weightsManifest[${g}]`;
    if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights))
      throw new UsageError(`${where}: expected {paths, weights}`);
    group.weights.forEach((w, k) => specs.push(checkSpec(w, `${where}.weights[${k}]`)));
    for (const p of group.paths) {
      if (typeof p !== 'string') throw new UsageError(`${where}: paths must be strings`);
      const file = path.resolve(dir, p);
      if (path.relative(path.resolve(dir), file).startsWith('..'))
        throw new UsageError(`${where}: weights path ${p} points outside the folder`);
      const bytes = await readFile(file).catch(() => undefined);
      if (bytes === undefined) throw new UsageError(`${file}: missing (listed in ${MODEL_JSON})`);
      buffers.push(bytes);
    }
  }
  const expected = specs.reduce((n, s) => n + specBytes(s), 0);
  const actual = buffers.reduce((n, b) => n + b.byteLength, 0);
  if (actual !== expected) {
    const files = manifest.flatMap((group) =>
      isRecord(group) && Array.isArray(group.paths) ? group.paths.map((p) => path.join(dir, String(p))) : [],
    );
    throw new UsageError(
      `${files.join(', ') || jsonPath}: ${actual} bytes, but ${MODEL_JSON} lists weights of ${expected} bytes (${actual < expected ? 'too short' : 'too long'})`,
    );
  }
  const weightData = new Uint8Array(actual);
  let offset = 0;
  for (const b of buffers) {
    weightData.set(b, offset);
    offset += b.byteLength;
  }
  const userDefinedMetadata = isRecord(parsed.userDefinedMetadata)
    ? (parsed.userDefinedMetadata as Record<string, object>)
    : undefined;
  return {
    modelTopology: parsed.modelTopology as object,
    weightSpecs: specs,
    weightData: weightData.buffer,
    ...(typeof parsed.format === 'string' ? { format: parsed.format } : {}),
    ...(userDefinedMetadata !== undefined ? { userDefinedMetadata } : {}),
  };
}

/** The basic model as the equivalent `tf.layers.lstm` + dense model (same logits), for saving. */
function basicAsLayersModel(basic: BasicLstmClassifier): tf.LayersModel {
  const model = buildLayersModel({ ...basic.settings, kind: 'layers' });
  const weights = basicToLayersWeights(basic);
  model.setWeights(weights);
  tf.dispose(weights);
  return model;
}

/**
 * Saves a trained classifier (topology + weights) to folder `dir` (`model.json` + `weights.bin`),
 * atomically; replaces a model saved there before. Works for every kind `buildClassifier` makes.
 */
export async function saveModel(
  classifier: Classifier,
  dir: string,
  options: SaveModelOptions = {},
): Promise<SavedModelInfo> {
  await checkSaveTarget(dir); // fail before serialising anything
  const basic = classifier instanceof BasicLstmClassifier ? classifier : undefined;
  if (basic === undefined && !isLayersClassifier(classifier)) {
    throw new Error(`saveModel: "${classifier.name}" is neither a tf.layers model nor the basic LSTM; cannot save it`);
  }
  const model = basic !== undefined ? basicAsLayersModel(basic) : (classifier as LayersClassifier).model;
  try {
    // The name a loaded model reports: a converted basic model is a tf.layers.lstm model from then on.
    const name = basic !== undefined ? `tf.layers.lstm (from the ${classifier.name})` : classifier.name;
    const metadata = { ...options.metadata, name };
    const result = await model.save(modelFolderHandler(dir, { metadata }));
    return { dir, name, weightBytes: result.modelArtifactsInfo.weightDataBytes ?? 0 };
  } finally {
    if (basic !== undefined) model.dispose();
  }
}

/**
 * Loads a folder written by `saveModel` (or by tfjs-node's `file://`) as a classifier on the
 * current backend: `predict(xs [batch, 28, 28])` → logits `[batch, 10]`. Errors name the file.
 */
export async function loadModel(dir: string): Promise<LoadedClassifier> {
  const artifacts = await readModelFolder(dir);
  const jsonPath = path.join(dir, MODEL_JSON);
  const { weightSpecs, weightData, ...topologyOnly } = artifacts;
  // Build first, then check the weights against the built model ourselves: tfjs's own loader
  // leaks the half-built model when shapes do not match, and its message names no file.
  let model: tf.LayersModel;
  try {
    model = await withoutOrthogonalWarning(() => tf.loadLayersModel(tf.io.fromMemory(topologyOnly)));
  } catch (err) {
    throw new UsageError(
      `${jsonPath}: cannot build the model (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`,
    );
  }
  try {
    const expected = new Map(model.weights.map((w) => [w.originalName, w.shape]));
    const specs = weightSpecs ?? [];
    for (const spec of specs) {
      const shape = expected.get(spec.name);
      if (shape === undefined) throw new UsageError(`${jsonPath}: weight ${spec.name} is not in the model's topology`);
      if (shape.length !== spec.shape.length || shape.some((d, k) => d !== spec.shape[k])) {
        throw new UsageError(
          `${jsonPath}: weight ${spec.name} has shape [${spec.shape.join(', ')}] but the topology needs [${shape.join(', ')}]`,
        );
      }
    }
    const given = new Set(specs.map((s) => s.name));
    const missing = [...expected.keys()].filter((name) => !given.has(name));
    if (missing.length > 0) throw new UsageError(`${jsonPath}: no weights for ${missing.join(', ')}`);
    const tensors = tf.io.decodeWeights(weightData ?? new ArrayBuffer(0), specs);
    try {
      // A weight that is NaN or infinite (a run that diverged, a damaged file) would load and
      // predict NaN for every digit without a word: refuse it, naming the weight.
      for (const spec of specs) {
        const values = (tensors[spec.name] as tf.Tensor).dataSync();
        const bad = values.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0)
          throw new UsageError(
            `${path.join(dir, WEIGHTS_BIN)}: weight ${spec.name} holds ${values[bad]} at index ${bad} (${values.filter((v) => !Number.isFinite(v)).length} of ${values.length} values are not finite numbers)`,
          );
      }
      model.loadWeights(tensors, true);
    } finally {
      tf.dispose(Object.values(tensors));
    }
  } catch (err) {
    model.dispose();
    throw err;
  }
  const stored = artifacts.userDefinedMetadata?.[METADATA_KEY];
  const metadata = isRecord(stored) ? stored : {};
  const name = typeof metadata.name === 'string' ? metadata.name : model.name;
  // Object.assign keeps the classifier's `variables` getter.
  return Object.assign(layersClassifier(model, name), { metadata });
}
