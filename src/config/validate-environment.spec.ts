import { Environment } from './environment';
import { InvalidEnvironmentError, validateEnvironment } from './validate-environment';
import { proxyTrustOf } from '../http/trusted-proxies';

describe('validateEnvironment', () => {
  it('applies the documented defaults when nothing is set', () => {
    expect({ ...validateEnvironment({}) }).toEqual({ ...new Environment() });
    expect(validateEnvironment({})).toMatchObject({
      PORT: 5001,
      HOST: '0.0.0.0',
      DATABASE_URL: 'sqlite:./data/ingestion.sqlite',
      LOG_LEVEL: 'info',
      LOG_PRETTY: '0',
      MAX_PAYLOAD_BYTES: 262144,
      SHUTDOWN_TIMEOUT_MS: 10000,
      SHUTDOWN_DELAY_MS: 1000,
      LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS: 1000,
      LOAD_SHEDDING_SAMPLE_INTERVAL_MS: 1000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 72000,
    });
  });

  it('treats empty strings as unset and converts numbers', () => {
    expect(validateEnvironment({ PORT: '', MAX_PAYLOAD_BYTES: '1024' })).toMatchObject({
      PORT: 5001,
      MAX_PAYLOAD_BYTES: 1024,
    });
  });

  it('accepts LOG_PRETTY=1 and load shedding turned off (0)', () => {
    expect(validateEnvironment({ LOG_PRETTY: '1', LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS: '0' })).toMatchObject({
      LOG_PRETTY: '1',
      LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS: 0,
    });
  });

  it.each(['true', '2', 'loopback', '10.0.0.1', '10.0.0.0/8, fd00::/8,uniquelocal', '10.0.0.0/255.0.0.0', '::1'])(
    'accepts TRUST_PROXY=%s as Fastify reads trustProxy',
    (value) => {
      expect(validateEnvironment({ TRUST_PROXY: value }).TRUST_PROXY).toBe(value);
    },
  );

  it('trusts no proxy by default, or when TRUST_PROXY=false', () => {
    expect(validateEnvironment({}).TRUST_PROXY).toBe('');
    expect(validateEnvironment({ TRUST_PROXY: '' }).TRUST_PROXY).toBe('');
    expect(proxyTrustOf(validateEnvironment({ TRUST_PROXY: 'false' }).TRUST_PROXY)).toBeUndefined();
  });

  it('ignores variables it does not know', () => {
    expect(validateEnvironment({ PATH: '/usr/bin', HOME: '/root' })).not.toHaveProperty('PATH');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '50.5'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['DATABASE_URL', 'sqlite:'],
    ['LOG_LEVEL', 'loud'],
    ['MAX_PAYLOAD_BYTES', '-1'],
    ['MAX_PAYLOAD_BYTES', '1'],
    ['SHUTDOWN_TIMEOUT_MS', 'soon'],
    ['SQLITE_BUSY_TIMEOUT_MS', '-5'],
    ['LOG_PRETTY', 'yes'],
    ['SHUTDOWN_DELAY_MS', '-1'],
    ['LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS', '-1'],
    ['LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS', 'high'],
    ['LOAD_SHEDDING_SAMPLE_INTERVAL_MS', '5'],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '500'],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', 'long'],
    ['TRUST_PROXY', '10.0.0.300'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', '-1'],
    ['TRUST_PROXY', '10.0.0.1,,10.0.0.2'],
    ['TRUST_PROXY', 'proxy.example'],
  ])('refuses %s=%s and names the variable', (name, value) => {
    let error: unknown;
    try {
      validateEnvironment({ [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    expect((error as InvalidEnvironmentError).problems).toEqual([expect.stringContaining(`${name}=`)]);
    expect((error as Error).message).toContain(name);
  });

  it('says which TRUST_PROXY entry is not an address', () => {
    expect(() => validateEnvironment({ TRUST_PROXY: '10.0.0.1, 10.0.0.300' })).toThrow(
      /TRUST_PROXY="10\.0\.0\.1, 10\.0\.0\.300": .*\(invalid IP address: 10\.0\.0\.300\)$/,
    );
  });

  it('lists every bad variable at once', () => {
    expect(() => validateEnvironment({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(
      /PORT=.*\n.*LOG_LEVEL=|LOG_LEVEL=.*\n.*PORT=/,
    );
  });
});
