// Setup file of the `e2e-postgres` Jest project: the same specs, on PostgreSQL (see database.ts).
process.env.TEST_DATABASE = 'postgres';
