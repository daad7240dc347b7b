// Edits of the 656K fixture's graph for tests: the layouts and faults that users' model folders come with.
import fs from 'node:fs';
import path from 'node:path';
import { DataType, encodeModel, node, readModel, tensorValueInfo, type ModelProto } from '../engine/onnx/onnx-model';
import { copyModel, tinyStoriesOnnx } from './fixtures';

/** Renames tensors everywhere the graph names them: inputs, outputs, node ends and value infos. */
export function renameTensors(model: ModelProto, renames: ReadonlyMap<string, string>): void {
  const rename = (name: string) => renames.get(name) ?? name;
  const { graph } = model;
  for (const info of [...graph.input, ...graph.output, ...(graph.value_info ?? [])]) info.name = rename(info.name);
  for (const n of graph.node) {
    n.input = n.input.map(rename);
    n.output = n.output.map(rename);
  }
}

/** Moves every cache tensor of layer L to layer L + shift (a decoder whose cache starts at layer 1). */
export function shiftKvLayers(model: ModelProto, shift: number): void {
  const renames = new Map<string, string>();
  for (const info of [...model.graph.input, ...model.graph.output]) {
    const match = /^(past_key_values|present)\.(\d+)\.(key|value)$/.exec(info.name);
    if (match) renames.set(info.name, `${match[1]}.${Number(match[2]) + shift}.${match[3]}`);
  }
  renameTensors(model, renames);
}

/** Declares the integer id inputs as int32, cast to int64 inside the graph (as some exporters do). */
export function int32IdInputs(model: ModelProto): void {
  const { graph } = model;
  for (const name of ['input_ids', 'attention_mask', 'position_ids']) {
    const input = graph.input.find((info) => info.name === name);
    if (!input) continue;
    const inner = `${name}_int64`;
    renameTensors(model, new Map([[name, inner]]));
    input.name = name;
    input.type!.tensor_type!.elem_type = DataType.INT32;
    graph.node.unshift(node('Cast', [name], [inner], [{ name: 'to', type: 2, i: DataType.INT64 }]));
  }
}

/** An extra graph input the engine does not feed, e.g. a hybrid model's convolution state. */
export function addInput(model: ModelProto, name: string, elemType: number = DataType.FLOAT): void {
  model.graph.input.push(tensorValueInfo(name, elemType, [1, 'n']));
}

/** A writable copy of the fixture (or of `source`) whose onnx/model.onnx went through `edit`. */
export function editedFixture(edit: (model: ModelProto) => void, source = tinyStoriesOnnx()): string {
  const dir = copyModel(source);
  const file = path.join(dir, 'onnx', 'model.onnx');
  const model = readModel(file);
  edit(model);
  fs.writeFileSync(file, encodeModel(model));
  return dir;
}

export const GIT_LFS_POINTER = 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146c7c5f6f0e3c3b2b2e4c0b6b1d1e5b5e8d6f4a3c2b1a0f9e8d7c6b5a4\nsize 3276800\n';
