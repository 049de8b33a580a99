import { spawnSync } from 'node:child_process';

/** How long `await import(file)` takes in a fresh Node process, `runs` times, in milliseconds (sorted). */
export function coldImportMs(file: string, runs: number): number[] {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', `const t=performance.now();await import(${JSON.stringify(file)});console.log(performance.now()-t)`], {
      encoding: 'utf8',
      env: { ...process.env, AWS_REGION: 'us-east-1' },
    });
    if (result.status !== 0) throw new Error(`importing ${file} failed: ${result.stderr}`);
    times.push(Number(result.stdout.trim()));
  }
  return times.sort((a, b) => a - b);
}
