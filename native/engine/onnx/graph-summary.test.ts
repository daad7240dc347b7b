import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryDir } from '../../testing/fixtures';
import { externalDataFiles, NotAnOnnxGraph, readGraphSummary } from './graph-summary';
import { DataType, encodeModel, node, tensorValueInfo } from './onnx-model';

function identityModel(op: string): Uint8Array {
  return encodeModel({
    ir_version: 8,
    opset_import: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      node: [node(op, ['x'], ['y'])],
      initializer: [{ name: 'w', dims: [4], data_type: DataType.FLOAT, raw_data: new Uint8Array(16) }],
      input: [tensorValueInfo('x', DataType.FLOAT, [4])],
      output: [tensorValueInfo('y', DataType.FLOAT, [4])],
    },
  });
}

describe('graph summaries', () => {
  it('reads a file once per version of it', () => {
    const file = path.join(temporaryDir(), 'model.onnx');
    fs.writeFileSync(file, identityModel('Identity'));
    const first = readGraphSummary(file);
    expect(first.nodes.map((n) => n.op_type)).toEqual(['Identity']);
    expect(readGraphSummary(file)).toBe(first);
    // another graph of the same size, written over it in place: a new version
    const size = fs.statSync(file).size;
    fs.writeFileSync(file, identityModel('Softplus'));
    // Linux stamps files from a clock of a few milliseconds' grain: date this write as one a moment later would be
    const later = new Date(fs.statSync(file).mtimeMs + 1000);
    fs.utimesSync(file, later, later);
    expect(fs.statSync(file).size).toBe(size);
    expect(readGraphSummary(file).nodes.map((n) => n.op_type)).toEqual(['Softplus']);
  });

  it('names the external data files without decoding a node, and says a corrupt node is not ONNX', () => {
    const file = path.join(temporaryDir(), 'model.onnx');
    const bytes = identityModel('Identity');
    // the node's domain field (tag 0x3a, after op_type) given field number 15 and wire type 7, which no protobuf has
    const domain = Buffer.from(bytes).indexOf(Buffer.from([...Buffer.from('Identity'), 0x3a]));
    expect(domain).toBeGreaterThan(0);
    bytes[domain + 'Identity'.length] = (15 << 3) | 7;
    fs.writeFileSync(file, bytes);
    expect(externalDataFiles(file)).toEqual([]);
    expect(() => readGraphSummary(file).nodes).toThrow(NotAnOnnxGraph);
  });
});
