export * from './schemas';
export * from './api';
export * from './channels';
export * from './history';
export * from './plan';
