import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyModel, sdFixture, temporaryDir, tinyStoriesOnnx } from '../../testing/fixtures';
import { loadImageModelFolder } from '../image/model-folder';
import { createScheduler } from '../image/schedulers';
import { loadTextModelFolder } from '../text/model-folder';

/** Replaces a file of a model copy with something hostile made by `make`. */
function textModelWith(file: string, make: (full: string) => void): string {
  const dir = copyModel(tinyStoriesOnnx());
  fs.rmSync(path.join(dir, file));
  make(path.join(dir, file));
  return dir;
}

describe('model folders as untrusted input', () => {
  it('refuses a FIFO named config.json at once instead of waiting on it (finding 1)', () => {
    const dir = textModelWith('config.json', (full) => execFileSync('mkfifo', [full]));
    expect(() => loadTextModelFolder(dir)).toThrowError(/config\.json in .* is not a regular file/);
  });

  it('refuses a tokenizer.json that is a device or over its cap, without reading it (finding 3)', () => {
    const device = textModelWith('tokenizer.json', (full) => fs.symlinkSync('/dev/zero', full));
    expect(() => loadTextModelFolder(device)).toThrowError(/tokenizer\.json points outside its model folder/);
    const inside = textModelWith('tokenizer.json', (full) => fs.writeFileSync(full, ''));
    fs.truncateSync(path.join(inside, 'tokenizer.json'), 65 * 1024 * 1024);
    expect(() => loadTextModelFolder(inside)).toThrowError(/tokenizer\.json in .* is 65\.0 MB, over the 64 MB/);
    const config = textModelWith('config.json', (full) => fs.writeFileSync(full, ''));
    fs.truncateSync(path.join(config, 'config.json'), 5 * 1024 * 1024);
    expect(() => loadTextModelFolder(config)).toThrowError(/config\.json in .* over the 4 MB/);
  });

  it('never loads a JSON file from outside the folder, nor quotes one back (finding 9)', () => {
    const outside = path.join(temporaryDir(), 'tokenizer.json');
    fs.copyFileSync(path.join(tinyStoriesOnnx(), 'tokenizer.json'), outside);
    const json = textModelWith('tokenizer.json', (full) => fs.symlinkSync(outside, full));
    expect(() => loadTextModelFolder(json)).toThrowError(/tokenizer\.json points outside its model folder/);
    const passwd = textModelWith('config.json', (full) => fs.writeFileSync(full, 'root:x:0:0:root:/root:/bin/bash\n'));
    expect(() => loadTextModelFolder(passwd)).toThrowError(/^config\.json in .* is not valid JSON\.$/);
  });

  it('accepts a link from inside the folder to inside it', () => {
    const dir = textModelWith('tokenizer.json', (full) => {
      fs.copyFileSync(path.join(tinyStoriesOnnx(), 'tokenizer.json'), path.join(path.dirname(full), 'vocabulary.json'));
      fs.symlinkSync('vocabulary.json', full);
    });
    expect(loadTextModelFolder(dir).tokenizerJson).toBeTypeOf('object');
  });

  it('names a dangling link as one, as a model error (finding 10)', () => {
    const dir = textModelWith('generation_config.json', (full) => fs.symlinkSync('nowhere.json', full));
    expect(() => loadTextModelFolder(dir)).toThrowError(expect.objectContaining({ code: 'invalid_model', message: expect.stringMatching(/generation_config\.json in .* is a link to a file that does not exist/) }));
    const variant = copyModel(tinyStoriesOnnx());
    fs.symlinkSync('gone.onnx', path.join(variant, 'onnx', 'model_fp16.onnx'));
    expect(() => loadTextModelFolder(variant)).toThrowError(/model_fp16\.onnx in .* is a link to a file that does not exist/);
  });

  it('refuses a FIFO in an image pipeline too', () => {
    const dir = copyModel(sdFixture({ variants: true }));
    fs.rmSync(path.join(dir, 'scheduler', 'scheduler_config.json'));
    execFileSync('mkfifo', [path.join(dir, 'scheduler', 'scheduler_config.json')]);
    expect(() => loadImageModelFolder(dir)).toThrowError(/scheduler_config\.json in .* is not a regular file/);
  });

  it('calls a trained_betas of the wrong length a model error, not an unexpected one (finding 10)', () => {
    expect(() => createScheduler('ddim', { num_train_timesteps: 1000, trained_betas: [0.1, 0.2] })).toThrowError(
      expect.objectContaining({ code: 'invalid_model', message: expect.stringMatching(/scheduler_config\.json: trained_betas has 2 values but num_train_timesteps is 1000/) }),
    );
  });
});
