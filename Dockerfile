# Ingestion service image.
#
#   docker build -t ingestion-service .
#   docker run -p 5001:5001 -v ingestion-data:/app/data ingestion-service
#
# scripts/docker-smoke.sh (npm run docker:smoke) reads this file and performs its steps in a
# temporary folder, so keep to the instructions it understands: FROM, WORKDIR, ENV KEY=VALUE,
# COPY [--from=build] src... dest, RUN, USER, EXPOSE, VOLUME, HEALTHCHECK and CMD (exec form).

# ---- build: compile TypeScript and the better-sqlite3 native addon, then drop dev dependencies
FROM node:20-bookworm-slim AS build
# node-gyp's toolchain, for when no prebuilt better-sqlite3 binary can be fetched
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

# ---- runtime: compiled code and production dependencies only, run as the non-root node user
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# The application files stay owned by root (read-only to node); only the data folder is writable.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY .env ./
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 5001
# The SQLite database (DATABASE_URL=sqlite:./data/ingestion.sqlite) and its WAL files
VOLUME /app/data
# No curl in slim images: node itself asks for readiness (PORT follows a `docker run -e PORT=...`).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||5001)+'/health/ready',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# Exec form: node is PID 1 and gets SIGTERM itself (src/graceful-shutdown.ts drains, exits 0).
CMD ["node", "dist/main.js"]
