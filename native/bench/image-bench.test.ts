import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImageModelFolder } from '../engine/image/model-folder';
import { bundledModels, emojiV2Smoke } from '../testing/fixtures';
import { benchImage, torchWeights } from './image-bench';
import { PytorchUnetPeer } from './peers/pytorch-unet';

const RECIPES = path.join(bundledModels(), 'recipes');
const SCRIPT = path.join(RECIPES, 'image', 'bench_torch_unet.py');

describe('the image bench’s PyTorch peer', () => {
  it('reads the weights of the recipe run a package’s pareto.json names: runs/image/<config>/ (the bundled family: cpu)', () => {
    const teacher = loadImageModelFolder(path.join(bundledModels(), 'pareto-emoji-teacher'));
    expect(torchWeights(teacher, 'teacher', RECIPES)).toBe(path.join(RECIPES, 'runs', 'image', 'cpu', 'teacher_unet.pt'));
  });

  it('reads them from the work folder beside packages a run wrote elsewhere (--config smoke --out DIR)', () => {
    const family = emojiV2Smoke();
    const student = loadImageModelFolder(path.join(family, 'pareto-emoji-student'));
    expect(torchWeights(student, 'student', RECIPES)).toBe(path.join(family, '_work', 'student_unet.pt'));
  }, 600_000);

  it('stays up between requests, timing the asked number of steps at the asked threads each time', async () => {
    const peer = await PytorchUnetPeer.start(SCRIPT, path.join(emojiV2Smoke(), '_work', 'student_unet.pt'), 1);
    try {
      for (const threads of [1, 2]) {
        const ms = await peer.time(3, threads);
        expect(ms).toHaveLength(3);
        expect(ms.every((value) => value > 0)).toBe(true);
      }
    } finally {
      peer.close();
    }
  }, 600_000);

  it('says which weights are missing, and what the Python side said when it fails', async () => {
    await expect(PytorchUnetPeer.start(SCRIPT, path.join(RECIPES, 'runs', 'image', 'nowhere', 'student_unet.pt'), 1)).rejects.toThrow(/nowhere.student_unet\.pt is missing/);
    const notWeights = path.join(emojiV2Smoke(), 'pareto-emoji-student', 'model_index.json');
    await expect(PytorchUnetPeer.start(SCRIPT, notWeights, 1)).rejects.toThrow(/^PyTorch UNet peer failed: \S/);
  }, 600_000);
});

describe('pareto bench image', () => {
  it('times whole images at every student precision and the UNet step against PyTorch at the engine’s threads, in one interleaved run', async () => {
    const report = await benchImage({ modelsDir: emojiV2Smoke(), recipeDir: RECIPES, repeats: 1, ep: 'cpu' });
    expect(report.skipped).toEqual({});
    expect(report.loadAverage.start).toHaveLength(3);
    const { student, teacher } = report;
    expect(Object.keys(student.precisions)).toEqual(['fp32', 'fp16', 'int8']);
    expect(student.precisions.int8!.foldedWeightDequantize).toBe(true);
    expect(student.precisions.fp32!.foldedWeightDequantize).toBe(false);
    expect(teacher.precisions).toEqual({});
    for (const role of [student, teacher]) {
      const { textEncoder, unetSteps, decodeAndPng } = role.partsMsMedian;
      expect(textEncoder + unetSteps + decodeAndPng).toBeLessThanOrEqual(role.sPerImageMedian * 1000);
      expect(role.byThreads[String(role.threads)]!.pytorchMsPerStep).toBe(role.pytorchMsPerStepMedian);
    }
    expect(student.byThreads[String(student.threads)]!.engineMsPerStep).toBe(student.msPerStepMedian);
    expect(report.ratios.vsPytorchEager).toBe(student.pytorchMsPerStepMedian! / student.msPerStepMedian);
    expect(Object.keys(report.ratios.vsPytorchEagerByThreads)).toEqual(Object.keys(student.byThreads));
  }, 600_000);
});
