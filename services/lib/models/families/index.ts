import type { FamilyDefinition, ModelEntry } from '../family.js';
import { efficientnet } from './efficientnet.js';
import { mixnet } from './mixnet.js';
import { mnasnet } from './mnasnet.js';
import { mobilenetV1 } from './mobilenetv1.js';
import { mobilenetV2 } from './mobilenetv2.js';
import { mobilenetV3 } from './mobilenetv3.js';

export const FAMILIES: readonly FamilyDefinition<ModelEntry>[] = [
  mobilenetV1,
  mobilenetV2,
  mobilenetV3 as FamilyDefinition<ModelEntry>,
  mnasnet,
  mixnet as FamilyDefinition<ModelEntry>,
  efficientnet,
];
