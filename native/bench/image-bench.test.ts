import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImageModelFolder } from '../engine/image/model-folder';
import { bundledModels, emojiV2Smoke } from '../testing/fixtures';
import { torchWeights } from './image-bench';

const RECIPES = path.join(bundledModels(), 'recipes');

describe('the image bench’s PyTorch peer', () => {
  it('reads the weights of the recipe run a package’s pareto.json names: runs/image/<config>/ (v1: full)', () => {
    const teacher = loadImageModelFolder(path.join(bundledModels(), 'pareto-emoji-teacher'));
    expect(torchWeights(teacher, 'teacher', RECIPES)).toBe(path.join(RECIPES, 'runs', 'image', 'full', 'teacher_unet.pt'));
  });

  it('reads them from the work folder beside packages a run wrote elsewhere (--config smoke --out DIR)', () => {
    const family = emojiV2Smoke();
    const student = loadImageModelFolder(path.join(family, 'pareto-emoji-student'));
    expect(torchWeights(student, 'student', RECIPES)).toBe(path.join(family, '_work', 'student_unet.pt'));
  }, 600_000);
});
