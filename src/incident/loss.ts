// The loss estimate of the incident report: the electricity the miner burned, plus the user's own
// figures. Shown with its formula and inputs, so a reader can redo it with better numbers.
//
//   energy (kWh) = stolen CPU-core-hours × watts per core ÷ 1000
//   cost         = energy × price per kWh + Σ the user's items
//
// Defaults (documented in docs/respond.md): 15 W per busy core — a typical server core under full
// load, TDP ÷ cores of current x86 server parts (e.g. 200 W / 16 cores ≈ 12.5 W, plus memory and
// power-supply losses); 0.8 CNY per kWh — the order of Chinese commercial/industrial tariffs, as the
// source document is a Chinese response team's; the currency follows the price.
import { z } from 'zod';

export const DEFAULT_WATTS_PER_CORE = 15;
export const DEFAULT_PRICE_PER_KWH = 0.8;
export const DEFAULT_CURRENCY = 'CNY';

export const LossSchema = z.object({
  /** CPU seconds of the miner processes ÷ 3600. */
  cpuCoreHours: z.number().nonnegative(),
  /** How the core-hours were measured: whole-life CPU time from /proc, or CPU% × run time. */
  cpuSource: z.enum(['cpu-time', 'cpu-percent', 'none']),
  wattsPerCore: z.number(),
  pricePerKwh: z.number(),
  currency: z.string(),
  energyKwh: z.number(),
  energyCost: z.number(),
  items: z.array(z.object({ item: z.string(), amount: z.number() })),
  total: z.number(),
  /** The inputs that fell back to defaults. */
  defaults: z.array(z.enum(['wattsPerCore', 'pricePerKwh', 'currency'])),
  formula: z.string(),
});
export type Loss = z.infer<typeof LossSchema>;

export interface LossInput {
  cpuSeconds: number;
  cpuSource: Loss['cpuSource'];
  wattsPerCore?: number;
  pricePerKwh?: number;
  currency?: string;
  items: { item: string; amount: number }[];
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function estimateLoss(input: LossInput): Loss {
  const defaults: Loss['defaults'] = [];
  const watts = input.wattsPerCore ?? (defaults.push('wattsPerCore'), DEFAULT_WATTS_PER_CORE);
  const price = input.pricePerKwh ?? (defaults.push('pricePerKwh'), DEFAULT_PRICE_PER_KWH);
  const currency = input.currency ?? (defaults.push('currency'), DEFAULT_CURRENCY);
  const coreHours = round(input.cpuSeconds / 3600, 4);
  const energy = round((coreHours * watts) / 1000, 4);
  const energyCost = round(energy * price, 2);
  const extra = input.items.reduce((sum, i) => sum + i.amount, 0);
  const total = round(energyCost + extra, 2);
  const itemsText = input.items.length ? ` + ${input.items.map((i) => `${i.amount}`).join(' + ')}` : '';
  return {
    cpuCoreHours: coreHours,
    cpuSource: input.cpuSource,
    wattsPerCore: watts,
    pricePerKwh: price,
    currency,
    energyKwh: energy,
    energyCost,
    items: input.items,
    total,
    defaults,
    formula: `${coreHours} core-h × ${watts} W ÷ 1000 × ${price} ${currency}/kWh${itemsText} = ${total} ${currency}`,
  };
}
