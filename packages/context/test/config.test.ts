import { backoffDelay, CircuitBreaker, ConfigError, parseRetryAfter, parseTeacherConfig } from '../src/index.js';

describe('parseTeacherConfig', () => {
  it('fills defaults', () => {
    const config = parseTeacherConfig({ endpoints: [{ baseURL: 'http://127.0.0.1:8000/v1' }], model: 'meta-llama/Llama-3.1-70B-Instruct' });
    expect(config.endpoints[0]).toEqual({ baseURL: 'http://127.0.0.1:8000/v1', apiKeyEnv: 'OPENAI_API_KEY', maxConcurrency: 4 });
    expect(config.retry.maxRetries).toBe(6);
    expect(config.breaker.failureThreshold).toBe(5);
  });

  it('names every bad field', () => {
    const bad = () => parseTeacherConfig({ endpoints: [{ baseURL: 'ftp://x', maxConcurrency: 0 }], model: '', temperature: 5, retry: { maxRetries: -1 } });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/endpoints\.0\.baseURL/);
    expect(bad).toThrow(/endpoints\.0\.maxConcurrency/);
    expect(bad).toThrow(/model/);
    expect(bad).toThrow(/temperature/);
    expect(bad).toThrow(/retry\.maxRetries/);
    expect(() => parseTeacherConfig({ endpoints: [], model: 'm' })).toThrow(/endpoints: /);
  });
});

describe('back-off', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
  it('doubles per attempt with jitter in [d/2, d], capped', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(400);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000);
  });
  it('honours Retry-After up to its cap', () => {
    expect(backoffDelay(1, policy, () => 0, 3000)).toBe(3000);
    expect(backoffDelay(1, policy, () => 0, 60_000)).toBe(5000);
  });
  it('parses retry-after-ms, seconds and HTTP dates', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '250' }), 0)).toBe(250);
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }), 0)).toBe(2000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:03 GMT' }), now)).toBe(3000);
    expect(parseRetryAfter(new Headers({}), 0)).toBeUndefined();
  });
});

describe('CircuitBreaker', () => {
  it('opens after the threshold, lets one probe through after the cool-down, closes on success', () => {
    const breaker = new CircuitBreaker(2, 100);
    breaker.onFailure(0);
    expect(breaker.tryAcquire(1)).toBe(true);
    breaker.onFailure(1);
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire(50)).toBe(false);
    expect(breaker.tryAcquire(101)).toBe(true);
    expect(breaker.tryAcquire(102)).toBe(false);
    breaker.onFailure(103);
    expect(breaker.reopensAt()).toBe(203);
    expect(breaker.tryAcquire(204)).toBe(true);
    breaker.onSuccess();
    expect(breaker.state).toBe('closed');
  });
});
