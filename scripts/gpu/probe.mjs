// The adapter check of scripts/gpu/run.sh, bundled into the pack by bundle.mjs (it imports the workspace's
// @alexnet/tfjs-backend-webgpu, so it runs only from the bundle): lists the WebGPU adapters Dawn sees and the one the
// benchmark will take, as JSON on stdout. Exit 0: a hardware adapter (or any, with --allow-software); 3: only a
// software one; 1: none.
import { listWebGpuAdapters, webGpuStatus } from '@alexnet/tfjs-backend-webgpu';

const allowSoftware = process.argv.includes('--allow-software');
const adapters = await listWebGpuAdapters().catch((error) => [{ error: String(error?.message ?? error) }]);
const status = await webGpuStatus();
const chosen = status.available
  ? { ...status.adapter, limits: status.limits, features: status.features.all }
  : { unavailable: status.reason };
process.stdout.write(`${JSON.stringify({ adapters, chosen }, null, 2)}\n`);
const exitCode = !status.available ? 1 : status.software && !allowSoftware ? 3 : 0;
// Dawn's instance keeps the event loop alive: leave once the answer is out.
process.exit(exitCode);
