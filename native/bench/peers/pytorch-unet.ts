import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

/**
 * The PyTorch eager peer for images: the recipe's own UNet module on the same weights, one step at `batch` samples,
 * in a Python process that stays up (`bench_torch_unet.py --serve`), so its runs can be interleaved with the engine's
 * on a machine whose load changes from one second to the next.
 */
export class PytorchUnetPeer {
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    child.on('error', (error) => {
      this.stderr += `\n${error.message}`;
    });
    this.lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  /** Loads the weights and warms the module up; throws with the peer's last stderr line when it cannot. */
  static async start(script: string, weights: string, batch: number): Promise<PytorchUnetPeer> {
    if (!fs.existsSync(weights)) throw new Error(`${path.relative(process.cwd(), weights)} is missing: the recipe saves it (npm run models:image)`);
    // Passive OpenMP threads, as the recipe trains with: spinning ones stall at every barrier on a shared machine, which would flatter our side.
    const env = { OMP_WAIT_POLICY: 'PASSIVE', ...process.env };
    const child = spawn('/usr/bin/python3', [script, '--weights', weights, '--batch', String(batch), '--serve'], { env, stdio: 'pipe' });
    const peer = new PytorchUnetPeer(child);
    await peer.answer();
    return peer;
  }

  /** `runs` timed UNet steps (after two warm-up ones) with `threads` intra-op threads: ms each. */
  async time(runs: number, threads: number): Promise<number[]> {
    this.child.stdin.write(JSON.stringify({ runs, threads }) + '\n');
    const answer = (await this.answer()) as { msPerStep: number[] };
    return answer.msPerStep;
  }

  close(): void {
    this.child.stdin.end();
  }

  private async answer(): Promise<unknown> {
    const next = await this.lines.next();
    if (next.done) {
      const reason = this.stderr.trim().split('\n').at(-1) || 'it exited without answering';
      throw new Error(`PyTorch UNet peer failed: ${reason}`);
    }
    return JSON.parse(next.value);
  }
}
