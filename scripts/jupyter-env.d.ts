/** Types of jupyter-env.js (plain CommonJS, so that npm start and npm run doctor need no build). */

export const ROOT: string;
export const PYTHON_ENV_VAR: 'RNN_PYTHON';
export const KERNEL_NAME: 'tslab';

export interface PythonCandidate {
  readonly python: string;
  /** Where it came from, e.g. "the project .venv". */
  readonly source: string;
  /** True for $RNN_PYTHON: used alone, and a failure is reported. */
  readonly explicit: boolean;
}

export interface PythonProbeOk extends PythonCandidate {
  readonly ok: true;
  readonly executable: string;
  readonly prefix: string;
  readonly version: string;
  /** Installed version of each package, null when missing. */
  readonly packages: Readonly<
    Record<
      'jupyterlab' | 'notebook' | 'nbclient' | 'nbconvert' | 'nbformat' | 'jupyter_core' | 'jupyter_client' | 'plotly',
      string | null
    >
  >;
  readonly dataDir?: string;
  readonly jupyterPath?: readonly string[];
  /** Kernel name to the folder Jupyter finds it in (with the project's JUPYTER_PATH). */
  readonly kernels?: Readonly<Record<string, string>>;
}

export interface PythonProbeFailed extends PythonCandidate {
  readonly ok: false;
  readonly error: string;
}

export type PythonProbe = PythonProbeOk | PythonProbeFailed;

export interface FrontEnd {
  readonly kind: 'lab' | 'notebook7' | 'classic';
  readonly name: string;
  readonly version: string;
  /** Started as `python -m <module>`. */
  readonly module: 'jupyterlab' | 'notebook';
  readonly python: string;
  readonly source: string;
}

export type FoundPython =
  | {
      readonly python: string;
      readonly probe: PythonProbeOk;
      readonly error?: undefined;
      readonly tried: readonly string[];
    }
  /** `error`: why it was not found, naming what was tried. */
  | {
      readonly python: undefined;
      readonly probe?: undefined;
      readonly error: string;
      readonly tried: readonly string[];
    };

/** A kernel spec as read from its kernel.json, or why it could not be read. */
export type KernelSpecRead =
  | {
      readonly spec: {
        argv: string[];
        display_name?: string;
        metadata?: { rnn_notebooks?: { root?: string } } & Record<string, unknown>;
      };
      readonly error?: undefined;
    }
  | { readonly spec?: undefined; readonly error: string };

type Env = Readonly<Record<string, string | undefined>>;

export function projectJupyterPath(root?: string): string;
export function venvPython(root?: string): string;
export function pythonCandidates(env?: Env, root?: string): PythonCandidate[];
export function probePython(candidate: PythonCandidate, env?: Env): PythonProbe;
export function probeAll(env?: Env, root?: string): PythonProbe[];
export function frontEndsOf(probe: PythonProbe): FrontEnd[];
export function chooseFrontEnd(probes: readonly PythonProbe[]): FrontEnd | undefined;
export function findPython(accept: (probe: PythonProbeOk) => boolean, env?: Env, root?: string): FoundPython;
export function jupyterEnv(env?: Env, root?: string): Record<string, string | undefined>;
export function defaultUserDataDir(env?: Env): string;
export function readKernelSpec(file: string): KernelSpecRead;
