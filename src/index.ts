/** The helper module behind the notebooks: named re-exports only. */
export * from './backend';
export * from './data';
export * from './errors';
export * from './format';
export * from './interrupt';
export * from './models';
export * from './notebook';
export * from './plot';
export * from './random';
export * from './runs';
export * from './settings';
export * from './train';
export * from './teach';
