/** What `pareto bench text` can set the engine against (a module of its own, so `pareto help` can name them cheaply). */
export const TEXT_PEERS = ['bare', 'bareExport', 'transformersJs', 'pytorchEager', 'int8', 'meter'] as const;
export type TextPeer = (typeof TEXT_PEERS)[number];
