import { InvalidEnvironmentError, validateEnvironment } from './validate-environment';

/** The error validateEnvironment throws for these variables (fails the test when it throws none). */
function refusal(variables: Record<string, string>): InvalidEnvironmentError {
  try {
    validateEnvironment(variables);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    return error as InvalidEnvironmentError;
  }
  throw new Error(`validateEnvironment accepted ${JSON.stringify(variables)}`);
}

describe('validateEnvironment: database settings', () => {
  it('applies the documented defaults', () => {
    expect(validateEnvironment({})).toMatchObject({
      DATABASE_POOL_SIZE: 10,
      DATABASE_STATEMENT_TIMEOUT_MS: 10000,
      DATABASE_CONNECT_TIMEOUT_MS: 5000,
      DATABASE_CONNECT_RETRIES: 10,
      DATABASE_CONNECT_RETRY_DELAY_MS: 1000,
    });
  });

  it('treats empty strings as unset', () => {
    expect(
      validateEnvironment({
        DATABASE_POOL_SIZE: '',
        DATABASE_STATEMENT_TIMEOUT_MS: '',
        DATABASE_CONNECT_TIMEOUT_MS: '',
        DATABASE_CONNECT_RETRIES: '',
        DATABASE_CONNECT_RETRY_DELAY_MS: '',
      }),
    ).toMatchObject({
      DATABASE_POOL_SIZE: 10,
      DATABASE_STATEMENT_TIMEOUT_MS: 10000,
      DATABASE_CONNECT_TIMEOUT_MS: 5000,
      DATABASE_CONNECT_RETRIES: 10,
      DATABASE_CONNECT_RETRY_DELAY_MS: 1000,
    });
  });

  it('converts given values to numbers', () => {
    expect(
      validateEnvironment({
        DATABASE_POOL_SIZE: '25',
        DATABASE_STATEMENT_TIMEOUT_MS: '30000',
        DATABASE_CONNECT_TIMEOUT_MS: '100',
        DATABASE_CONNECT_RETRIES: '3',
        DATABASE_CONNECT_RETRY_DELAY_MS: '250',
      }),
    ).toMatchObject({
      DATABASE_POOL_SIZE: 25,
      DATABASE_STATEMENT_TIMEOUT_MS: 30000,
      DATABASE_CONNECT_TIMEOUT_MS: 100,
      DATABASE_CONNECT_RETRIES: 3,
      DATABASE_CONNECT_RETRY_DELAY_MS: 250,
    });
  });

  it('accepts DATABASE_STATEMENT_TIMEOUT_MS=0 (no limit)', () => {
    expect(validateEnvironment({ DATABASE_STATEMENT_TIMEOUT_MS: '0' }).DATABASE_STATEMENT_TIMEOUT_MS).toBe(0);
  });

  it('accepts no retries and no delay', () => {
    expect(validateEnvironment({ DATABASE_CONNECT_RETRIES: '0', DATABASE_CONNECT_RETRY_DELAY_MS: '0' })).toMatchObject({
      DATABASE_CONNECT_RETRIES: 0,
      DATABASE_CONNECT_RETRY_DELAY_MS: 0,
    });
  });

  it('accepts a pool of one connection and of 1000', () => {
    expect(validateEnvironment({ DATABASE_POOL_SIZE: '1' }).DATABASE_POOL_SIZE).toBe(1);
    expect(validateEnvironment({ DATABASE_POOL_SIZE: '1000' }).DATABASE_POOL_SIZE).toBe(1000);
  });

  it.each([
    ['DATABASE_POOL_SIZE', '0'],
    ['DATABASE_POOL_SIZE', 'abc'],
    ['DATABASE_POOL_SIZE', '-3'],
    ['DATABASE_POOL_SIZE', '2.5'],
    ['DATABASE_POOL_SIZE', '1001'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '-1'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', 'never'],
    ['DATABASE_CONNECT_TIMEOUT_MS', '0'],
    ['DATABASE_CONNECT_TIMEOUT_MS', '-1'],
    ['DATABASE_CONNECT_RETRIES', '-1'],
    ['DATABASE_CONNECT_RETRIES', 'many'],
    ['DATABASE_CONNECT_RETRY_DELAY_MS', '-1'],
    ['DATABASE_CONNECT_RETRY_DELAY_MS', '0.5'],
  ])('refuses %s=%s and names the variable', (name, value) => {
    const error = refusal({ [name]: value });
    expect(error.problems).toEqual([expect.stringContaining(`${name}=`)]);
    expect(error.problems[0]).toContain(JSON.stringify(value));
    expect(error.message).toContain(name);
  });

  it('lists every bad database setting at once', () => {
    const error = refusal({ DATABASE_POOL_SIZE: '0', DATABASE_STATEMENT_TIMEOUT_MS: '-1' });
    expect(error.problems).toHaveLength(2);
    expect(error.message).toContain('DATABASE_POOL_SIZE=');
    expect(error.message).toContain('DATABASE_STATEMENT_TIMEOUT_MS=');
  });
});
