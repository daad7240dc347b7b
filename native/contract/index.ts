export * from './schemas';
export * from './api';
export * from './plan';
