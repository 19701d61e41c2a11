import { register } from '../src/commands/doctor.js';
import { runCommand } from './run-command.js';

// Runs on any machine: what it finds differs, the report's shape does not.
test('doctor reports each provider, the Vulkan and NVIDIA drivers, and a fix for what is missing', async () => {
  const lines = await runCommand(register, ['doctor']);
  const line = (name: string) => lines.find((l) => new RegExp(`^(ok|missing|unknown) +${name} `).test(l));
  expect(line('onnxruntime-node')).toMatch(/providers in this build: cpu, webgpu, cuda/);
  expect(line('provider cpu')).toMatch(/^ok/);
  for (const name of ['provider webgpu', 'provider cuda', 'vulkan loader', 'vulkan drivers', 'vulkan devices', 'nvidia-smi']) expect(line(name)).toBeDefined();
  lines.forEach((l, i) => {
    if (l.startsWith('missing') || l.startsWith('unknown')) expect(lines[i + 1]).toMatch(/^ +fix: \S/);
  });
  if (line('provider cuda')!.startsWith('missing')) expect(lines.join('\n')).toContain('fix: bash scripts/install-cuda-provider.sh');
});
