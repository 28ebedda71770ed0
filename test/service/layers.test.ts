import { describe, expect, it } from 'vitest';
import { cruiseService, describeViolation } from '../support/cruise-service.js';

// The layer rules (.dependency-cruiser.cjs): no import cycles in service/; the runner never reaches the
// worker, the store or the queue; ingest and the worker never reach http/.

describe('the layers of service/', () => {
  it('keep to .dependency-cruiser.cjs', async () => {
    const violations = await cruiseService();
    expect(violations.map(describeViolation)).toEqual([]);
  });
});
