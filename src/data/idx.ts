/**
 * The IDX file format MNIST is distributed in (http://yann.lecun.com/exdb/mnist/):
 * a big-endian int32 header, then unsigned bytes.
 *  - images: magic 2051 (0x00000803), count, rows, cols, then count*rows*cols pixels, row-major;
 *  - labels: magic 2049 (0x00000801), count, then count labels 0..9.
 * The files are usually gzipped; `maybeGunzip` looks at the first two bytes rather than the
 * file name, because people unpack the archives and keep (or drop) the `.gz` suffix at random.
 */
import { UsageError } from '../errors';
import { gunzipSync } from 'node:zlib';
import { NUM_CLASSES } from './dataset';

/** Magic number of an IDX file of unsigned-byte images with 3 dimensions. */
export const IDX_IMAGES_MAGIC = 2051;
/** Magic number of an IDX file of unsigned-byte labels (1 dimension). */
export const IDX_LABELS_MAGIC = 2049;

/** Parsed image file: `pixels` holds count*rows*cols bytes 0..255, image by image, row by row. */
export interface IdxImages {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly pixels: Uint8Array;
}

const IMAGES_HEADER_BYTES = 16;
const LABELS_HEADER_BYTES = 8;

/** True when `buffer` starts with the gzip magic bytes 1f 8b. */
export function isGzip(buffer: Uint8Array): boolean {
  return buffer.length >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
}

/** Returns `buffer` gunzipped if it is gzip data, else `buffer` itself; `name` (the file) is used in errors. */
export function maybeGunzip(buffer: Uint8Array, name: string): Uint8Array {
  if (!isGzip(buffer)) return buffer;
  try {
    return gunzipSync(buffer);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new UsageError(`${name}: corrupt gzip data (${why}); delete the file so it can be downloaded again`);
  }
}

function view(buffer: Uint8Array): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function checkHeader(buffer: Uint8Array, name: string, headerBytes: number, magic: number, kind: string): DataView {
  const truncated = (): Error =>
    new UsageError(
      `${name}: truncated IDX ${kind} file (${buffer.length} bytes, shorter than the ${headerBytes}-byte header)`,
    );
  if (buffer.length < 4) throw truncated();
  const data = view(buffer);
  // The magic number first: a short file of the wrong kind is better reported as the wrong kind.
  const found = data.getInt32(0, false);
  if (found !== magic) {
    throw new UsageError(
      `${name}: not an IDX ${kind} file (magic number ${found}, expected ${magic})` +
        (isGzip(buffer) ? '; it is still gzipped' : ''),
    );
  }
  if (buffer.length < headerBytes) throw truncated();
  return data;
}

function checkBody(buffer: Uint8Array, name: string, headerBytes: number, expected: number, what: string): void {
  const found = buffer.length - headerBytes;
  if (found < expected) {
    throw new UsageError(`${name}: truncated file (header promises ${expected} bytes of ${what}, found ${found})`);
  }
  if (found > expected) {
    // Trailing bytes mean the header and the data disagree: better to stop than to guess which is right.
    throw new UsageError(
      `${name}: ${found - expected} unexpected bytes after the ${expected} bytes of ${what} the header promises`,
    );
  }
}

/** Parses an (already gunzipped) IDX image file; the pixels are a view into `buffer`, not a copy. */
export function parseIdxImages(buffer: Uint8Array, name: string): IdxImages {
  const data = checkHeader(buffer, name, IMAGES_HEADER_BYTES, IDX_IMAGES_MAGIC, 'images');
  const count = data.getInt32(4, false);
  const rows = data.getInt32(8, false);
  const cols = data.getInt32(12, false);
  if (count < 0 || rows < 1 || cols < 1) {
    throw new UsageError(`${name}: bad IDX images header (count ${count}, rows ${rows}, cols ${cols})`);
  }
  checkBody(buffer, name, IMAGES_HEADER_BYTES, count * rows * cols, `pixels (${count} images of ${rows}x${cols})`);
  return { count, rows, cols, pixels: buffer.subarray(IMAGES_HEADER_BYTES) };
}

/** Parses an (already gunzipped) IDX label file into labels 0..9, one per example (a view into `buffer`). */
export function parseIdxLabels(buffer: Uint8Array, name: string): Uint8Array {
  const data = checkHeader(buffer, name, LABELS_HEADER_BYTES, IDX_LABELS_MAGIC, 'labels');
  const count = data.getInt32(4, false);
  if (count < 0) {
    throw new UsageError(`${name}: bad IDX labels header (count ${count})`);
  }
  checkBody(buffer, name, LABELS_HEADER_BYTES, count, `labels (${count} labels)`);
  const labels = buffer.subarray(LABELS_HEADER_BYTES);
  const bad = labels.findIndex((label) => label >= NUM_CLASSES);
  if (bad >= 0) {
    throw new UsageError(`${name}: label ${labels[bad]} at index ${bad} is not a digit 0..9`);
  }
  return labels;
}

/** Inverse of `parseIdxImages` (uncompressed): for writing fixtures and exporting data in the standard format. */
export function encodeIdxImages(images: IdxImages): Uint8Array {
  const { count, rows, cols, pixels } = images;
  if (pixels.length !== count * rows * cols) {
    throw new Error(
      `encodeIdxImages: ${pixels.length} pixels, expected ${count} * ${rows} * ${cols} = ${count * rows * cols}`,
    );
  }
  const out = new Uint8Array(IMAGES_HEADER_BYTES + pixels.length);
  const data = view(out);
  [IDX_IMAGES_MAGIC, count, rows, cols].forEach((value, i) => data.setInt32(4 * i, value, false));
  out.set(pixels, IMAGES_HEADER_BYTES);
  return out;
}

/** Inverse of `parseIdxLabels` (uncompressed). */
export function encodeIdxLabels(labels: Uint8Array): Uint8Array {
  const out = new Uint8Array(LABELS_HEADER_BYTES + labels.length);
  const data = view(out);
  data.setInt32(0, IDX_LABELS_MAGIC, false);
  data.setInt32(4, labels.length, false);
  out.set(labels, LABELS_HEADER_BYTES);
  return out;
}
