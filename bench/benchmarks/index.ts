/** Every benchmark, in the order `npm run bench` runs them. */

import type { Benchmark } from '../lib/results';
import { analyticsBenchmark } from './analytics';
import { deliveryBenchmark } from './delivery';
import { enqueueBenchmark } from './enqueue';
import { memoryBenchmark } from './memory';
import { priorityBenchmark } from './priority';
import { rateLimitBenchmark } from './rateLimit';
import { scaleBenchmark } from './scale';

export const BENCHMARKS: Benchmark[] = [
	enqueueBenchmark,
	deliveryBenchmark,
	rateLimitBenchmark,
	priorityBenchmark,
	memoryBenchmark,
	analyticsBenchmark,
	scaleBenchmark,
];
