export { cpuFallbacks, describeFallbacks, parsePlacementLog, probePlacement, type CpuNode, type Placement } from './placement.js';
export { inputSignature, valueDTypes } from './value-dtypes.js';
export { INSTALL_LAVAPIPE, lavapipeDir, missingForWebGpu, vulkanStatus, type VulkanStatus } from './vulkan.js';
export { probeProvider, probeWebGpu, requireProvider } from './probe-provider.js';
export { CUDA_KERNELS_SOURCE, cudaKernelGaps, type KernelGap } from './cuda-kernels.js';
export { gpuDoctor, type DoctorCheck } from './doctor.js';
export { missingForCuda, nvidiaGpus } from './nvidia.js';
