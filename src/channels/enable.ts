// Which channels are on: a channel is enabled when all its required variables are set; some but not all set is a
// configuration error naming what is missing (SPEC §7). Each enabled channel's variables are validated together.
import type { ChannelModule } from './module';

export interface EnabledChannel {
  module: ChannelModule<any>;
  config: unknown;
}

export function enabledChannels(
  env: Record<string, string | undefined>, modules: readonly ChannelModule<any>[],
): { enabled: EnabledChannel[]; problems: string[] } {
  const set = (n: string) => env[n] !== undefined && env[n] !== '';
  const enabled: EnabledChannel[] = [];
  const problems: string[] = [];
  for (const module of modules) {
    const present = module.env.required.filter(set);
    const switchedOn = (module.env.enabledBy ?? []).some(set);
    if (!present.length && !switchedOn) continue;
    if (present.length < module.env.required.length && !switchedOn) {
      problems.push(`${module.name}: ${present.join(', ')} set but ${module.env.required.filter((n) => !set(n)).join(', ')} missing`);
      continue;
    }
    const names = [...module.env.required, ...(module.env.optional ?? []), ...(module.env.enabledBy ?? [])];
    const values = Object.fromEntries(names.filter(set).map((n) => [n, env[n]]));
    const parsed = module.env.schema.safeParse(values);
    if (!parsed.success) {
      for (const i of parsed.error.issues) problems.push(`${i.path.length ? i.path.join('.') : module.name}: ${i.message}`);
      continue;
    }
    enabled.push({ module, config: parsed.data });
  }
  return { enabled, problems };
}
