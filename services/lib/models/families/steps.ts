import type { LayerRole } from '../layer-info.js';
import type { Activation, SimpleStep } from '../network-plan.js';

export const IMAGENET_CLASSES = 1000;

export function convStep(name: string, role: LayerRole, out: number, kernel: number, stride: number, activation: Activation | null, depthwise = false): SimpleStep {
  return { kind: 'conv', name, role, out, kernel, stride, depthwise, activation };
}

export const stemStep = (out: number, activation: Activation): SimpleStep => convStep('stem', 'stem', out, 3, 2, activation);

/** `head` 1x1 conv (optional), global pool, classifier. */
export function poolClassifierHead(headChannels: number | null, activation: Activation): SimpleStep[] {
  return [
    ...(headChannels === null ? [] : [convStep('head', 'head', headChannels, 1, 1, activation)]),
    { kind: 'pool', name: 'head.pool' },
    { kind: 'classifier', name: 'classifier', classes: IMAGENET_CLASSES },
  ];
}

/** EfficientNet's rule, used for every depth multiplier. */
export const scaleRepeats = (repeats: number, depth: number): number => Math.ceil(repeats * depth);
