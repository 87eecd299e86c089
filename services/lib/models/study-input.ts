/** Shapes shared by the built-in studies and the generated ones (calibrate), apart from their registry. */

/** A study spec as a user would write it (JSON-serializable input to parseStudySpec). */
export interface StudySpecInput {
  name: string;
  description?: string;
  base?: string | Record<string, unknown>;
  axes?: Record<string, Array<string | number | boolean>>;
  variants?: Array<string | Record<string, unknown>>;
  baseline?: string | Record<string, string | number | boolean>;
  protocol?: Record<string, unknown>;
  devices?: Record<string, unknown>;
}

/** One published model per family and variation (the six families, large and small MobileNetV3, two MixNets). */
export const ONE_MODEL_PER_FAMILY = [
  'mobilenetv1-1.0-224',
  'mobilenetv2-1.0',
  'mobilenetv3-large-1.0',
  'mobilenetv3-small-1.0',
  'mnasnet-a1',
  'mixnet-s',
  'mixnet-m',
  'efficientnet-b0',
] as const;
