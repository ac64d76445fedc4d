import { Logger } from '@nestjs/common';
import { get, ingest, nextLink, Receipt, UUID_V7 } from './support/http';
import { countRows, installInsertFault } from './support/database';
import { useTestApp } from './support/test-app';

const CONCURRENT_REQUESTS = 200;

describe('concurrent ingestion', () => {
  const context = useTestApp();

  it(`answers ${CONCURRENT_REQUESTS} concurrent POST /ingest with 201 and distinct ids, all of them listed`, async () => {
    const responses = await Promise.all(
      Array.from({ length: CONCURRENT_REQUESTS }, (_, n) =>
        ingest(context.app, { partner_id: `partner-${n % 7}`, payload: { n } }),
      ),
    );

    expect(responses.map((response) => response.statusCode)).toEqual(Array(CONCURRENT_REQUESTS).fill(201));
    const receipts = responses.map((response) => response.json<Receipt>());
    for (const receipt of receipts) expect(receipt.id).toMatch(UUID_V7);
    const ids = receipts.map((receipt) => receipt.id);
    expect(new Set(ids).size).toBe(CONCURRENT_REQUESTS);
    expect(await countRows(context.database)).toBe(CONCURRENT_REQUESTS);

    const listed = (await get(context.app, '/ingest/all')).json<Receipt[]>();
    expect(listed).toHaveLength(CONCURRENT_REQUESTS);
    expect([...listed].sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [...receipts].sort((a, b) => a.id.localeCompare(b.id)),
    );
    // Ids sort in ingestion order (they are the list cursor).
    expect(listed.map((receipt) => receipt.id)).toEqual([...ids].sort());

    for (let partner = 0; partner < 7; partner++) {
      const partnerId = `partner-${partner}`;
      expect((await get(context.app, `/ingest/partner/${partnerId}`)).json()).toEqual(
        listed.filter((receipt) => receipt.partner_id === partnerId),
      );
    }
  });

  it('commits the records of one instance in the order of their ids, so a cursor never steps past a later commit', async () => {
    const responses = await Promise.all(
      Array.from({ length: 300 }, (_, n) => ingest(context.app, { partner_id: 'ordered', payload: { n } })),
    );
    expect(responses.every((response) => response.statusCode === 201)).toBe(true);

    // A list follows the event log, whose order is the order of the commits.
    const committed = (await get(context.app, '/ingest/partner/ordered'))
      .json<Receipt[]>()
      .map((receipt) => receipt.id);
    expect(committed).toHaveLength(300);
    expect(committed).toEqual([...committed].sort());
  });

  it('answers each of many concurrent records on its own: one the database refuses fails alone', async () => {
    const removeFault = await installInsertFault(context.database, 'refused');
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const partners = Array.from({ length: 60 }, (_, n) => (n === 30 ? 'refused' : 'accepted'));
      const responses = await Promise.all(
        partners.map((partner, n) => ingest(context.app, { partner_id: partner, payload: { n } })),
      );
      expect(responses.map((response) => response.statusCode)).toEqual(
        partners.map((partner) => (partner === 'refused' ? 500 : 201)),
      );
      expect(responses[30].body).not.toContain('injected fault');
      const accepted = responses.filter((response) => response.statusCode === 201).map((r) => r.json<Receipt>().id);
      expect((await get(context.app, '/ingest/partner/accepted')).json<Receipt[]>().map((r) => r.id)).toEqual(accepted);
      expect((await get(context.app, '/ingest/partner/refused')).json()).toEqual([]);
      expect(logged).toHaveBeenCalled();
    } finally {
      logged.mockRestore();
      await removeFault();
    }
  });

  it('pages consistently through records ingested while it pages', async () => {
    const before = (await get(context.app, '/ingest/all')).json<Receipt[]>();
    const seen: string[] = [];
    let url: string | undefined = '/ingest/all?limit=50';
    const added: Receipt[] = [];
    while (url !== undefined) {
      const [page, ...created] = await Promise.all([
        get(context.app, url),
        ...Array.from({ length: 5 }, (_, n) => ingest(context.app, { partner_id: 'late', payload: { n } })),
      ]);
      added.push(...created.map((response) => response.json<Receipt>()));
      seen.push(...page.json<Receipt[]>().map((receipt) => receipt.id));
      url = nextLink(page);
      if (seen.length > 10_000) throw new Error('paging does not end');
    }

    // Every record, old or new, appears once; and the ones that existed at the start all appear.
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, before.length)).toEqual(before.map((receipt) => receipt.id));
    const all = (await get(context.app, '/ingest/all')).json<Receipt[]>();
    expect(all).toHaveLength(before.length + added.length);
    expect(seen).toEqual(all.slice(0, seen.length).map((receipt) => receipt.id));
  });
});
