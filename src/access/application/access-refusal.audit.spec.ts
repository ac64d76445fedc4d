import { Logger } from '@nestjs/common';
import { PrincipalMother } from '../../../test/mothers/principal.mother';
import { PartnerAccessDeniedError, RefusalReason, UnauthenticatedError } from '../domain/access.errors';
import { Principal } from '../domain/principal.value-object';
import { AccessRefusalAudit } from './access-refusal.audit';
import { AccessMetrics } from './ports/access.metrics';

class RecordingAccessMetrics extends AccessMetrics {
  readonly refusals: RefusalReason[] = [];

  requestRefused(reason: RefusalReason): void {
    this.refusals.push(reason);
  }
}

const REQUEST = { id: 'req-7', method: 'GET', route: '/ingest/all' };

describe('AccessRefusalAudit', () => {
  let metrics: RecordingAccessMetrics;
  let log: jest.SpyInstance;

  beforeEach(() => {
    metrics = new RecordingAccessMetrics();
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it('counts the refusal by its reason and logs one line naming the request and the key by id', () => {
    const principal = PrincipalMother.partner('acme');

    new AccessRefusalAudit(metrics).refused(new PartnerAccessDeniedError('m'), REQUEST, principal);

    expect(metrics.refusals).toEqual(['forbidden']);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log).toHaveBeenCalledWith(
      `request req-7 GET /ingest/all refused with API key ${principal.keyId}: forbidden`,
    );
  });

  it('names no key when the request had none, or access is open', () => {
    const audit = new AccessRefusalAudit(metrics);

    audit.refused(new UnauthenticatedError('missing_key'), REQUEST, undefined);
    audit.refused(new UnauthenticatedError('unknown_key'), REQUEST, Principal.open());

    expect(metrics.refusals).toEqual(['missing_key', 'unknown_key']);
    expect(log.mock.calls).toEqual([
      ['request req-7 GET /ingest/all refused: missing_key'],
      ['request req-7 GET /ingest/all refused: unknown_key'],
    ]);
  });
});
