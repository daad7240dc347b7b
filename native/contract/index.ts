export * from './schemas';
export * from './api';
export * from './history';
export * from './plan';
export * from './api-server';
