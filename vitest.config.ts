import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['hdl/**/*.test.ts', 'generators/**/*.test.ts', 'verify/**/*.test.ts', 'flow/**/*.test.ts', 'sim/**/*.test.ts', 'testbenches/**/*.test.ts', 'scripts/**/*.test.ts'],
    exclude: ['node_modules/**', 'out/**', '.cache/**'],
    // Simulator builds dominate: two workers match CI's two cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
