/** TensorFlow's make_divisible: round to the nearest multiple of `divisor`, never more than 10% down. */
export function makeDivisible(value: number, divisor = 8, minValue = divisor): number {
  let rounded = Math.max(minValue, Math.floor((value + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * value) rounded += divisor;
  return rounded;
}

/**
 * Split `channels` into `groups` parts. equal: `[C // g] * g`, remainder to the first part (MixNet).
 * exponential: part i gets about 2^-(i+1) of the channels, the last part the remainder.
 */
export function splitChannels(channels: number, groups: number, mode: 'equal' | 'exponential' = 'equal'): number[] {
  if (groups < 1 || groups > channels) throw new Error(`cannot split ${channels} channels into ${groups} groups`);
  if (groups === 1) return [channels];
  const parts =
    mode === 'equal'
      ? Array.from({ length: groups }, () => Math.floor(channels / groups))
      : Array.from({ length: groups }, (_, i) => (i === groups - 1 ? 0 : Math.max(1, Math.floor(channels / 2 ** (i + 1)))));
  const used = parts.reduce((a, b) => a + b, 0);
  if (mode === 'equal') parts[0]! += channels - used;
  else parts[groups - 1] = channels - used;
  if (parts.some((p) => p < 1)) throw new Error(`cannot split ${channels} channels into ${groups} ${mode} groups`);
  return parts;
}
