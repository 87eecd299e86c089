/** A variant or study spec that cannot be built; `field` names the offending field (e.g. `axes.activation[2]`). */
export class ModelSpecError extends Error {
  readonly code = 'MODEL_SPEC_INVALID';

  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(field ? `${field}: ${detail}` : detail);
    this.name = 'ModelSpecError';
  }
}
