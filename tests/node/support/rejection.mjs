import assert from 'node:assert/strict';

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}
