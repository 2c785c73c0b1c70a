// The loss estimate: formula, defaults marked as such, the user's figures added.
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE_PER_KWH, DEFAULT_WATTS_PER_CORE, estimateLoss } from './loss.js';

describe('estimateLoss', () => {
  it('uses the documented defaults and says so', () => {
    const l = estimateLoss({ cpuSeconds: 36_000, cpuSource: 'cpu-time', items: [] });
    expect(l.cpuCoreHours).toBe(10);
    expect(l.energyKwh).toBe((10 * DEFAULT_WATTS_PER_CORE) / 1000);
    expect(l.energyCost).toBe(0.12);
    expect(l.total).toBe(0.12);
    expect(DEFAULT_PRICE_PER_KWH).toBe(0.8);
    expect(l.defaults).toEqual(['wattsPerCore', 'pricePerKwh', 'currency']);
    expect(l.formula).toBe('10 core-h × 15 W ÷ 1000 × 0.8 CNY/kWh = 0.12 CNY');
  });
  it('takes the user’s numbers and adds their items', () => {
    const l = estimateLoss({
      cpuSeconds: 3_600_000,
      cpuSource: 'cpu-percent',
      wattsPerCore: 10,
      pricePerKwh: 0.15,
      currency: 'EUR',
      items: [
        { item: 'downtime', amount: 1000 },
        { item: 'cloud bill', amount: 250.5 },
      ],
    });
    expect(l.energyKwh).toBe(10);
    expect(l.energyCost).toBe(1.5);
    expect(l.total).toBe(1252);
    expect(l.defaults).toEqual([]);
    expect(l.formula).toBe('1000 core-h × 10 W ÷ 1000 × 0.15 EUR/kWh + 1000 + 250.5 = 1252 EUR');
  });
  it('is zero without CPU time', () => {
    expect(estimateLoss({ cpuSeconds: 0, cpuSource: 'none', items: [] }).total).toBe(0);
  });
});
