// The rooms inside native/ and which may import which (SPEC §1), as a lint rule rather than a convention:
// shared ← contract ← engine (with energy and metering) ← policy ← host ← cli (with bench).
// A room imports only rooms of its own rank or below; tests and native/testing are outside the rule.
import path from 'node:path';

export const ROOM_RANKS = { shared: 0, contract: 1, engine: 2, energy: 2, metering: 2, policy: 3, host: 4, cli: 5, bench: 5 };

function roomOf(file, nativeDir) {
  const relative = path.relative(nativeDir, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return null;
  const room = relative.split(path.sep)[0];
  return Object.hasOwn(ROOM_RANKS, room) ? room : null;
}

function allowedBelow(rank) {
  return Object.keys(ROOM_RANKS).filter((room) => ROOM_RANKS[room] <= rank);
}

/** @type {import('eslint').Rule.RuleModule} */
export const nativeRooms = {
  meta: {
    type: 'problem',
    docs: { description: 'A room inside native/ imports only the rooms to its left: shared ← contract ← engine ← policy ← host ← cli.' },
    messages: { upward: 'native/{{from}} may import only {{allowed}}; "{{specifier}}" reaches native/{{to}}.' },
    schema: [],
  },
  create(context) {
    const file = context.physicalFilename ?? context.filename;
    const nativeDir = path.join(context.cwd, 'native');
    const from = roomOf(file, nativeDir);
    if (!from) return {};
    const check = (node, source) => {
      if (typeof source?.value !== 'string' || !source.value.startsWith('.')) return;
      const to = roomOf(path.resolve(path.dirname(file), source.value), nativeDir);
      if (!to || ROOM_RANKS[to] <= ROOM_RANKS[from]) return;
      context.report({ node, messageId: 'upward', data: { from, to, specifier: source.value, allowed: allowedBelow(ROOM_RANKS[from]).join(', ') } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
    };
  },
};

export default { rules: { 'native-rooms': nativeRooms } };
