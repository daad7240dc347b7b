export * from './schemas';
export * from './api';
export * from './channels';
export * from './history';
export * from './plan';
export * from './report';
export * from './report-figures';
export * from './report-tables';
