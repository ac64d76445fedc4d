# Ingestion service image.
#
#   docker build -t ingestion-service .
#   docker run -p 5001:5001 -v ingestion-data:/app/data ingestion-service
#   docker exec <container> node dist/keys.js create --partner acme    # API keys (README: "Access control")
#
# scripts/docker-smoke.sh (npm run docker:smoke) reads this file and performs its steps in a
# temporary folder, so keep to the instructions it understands: FROM, WORKDIR, ENV KEY=VALUE,
# COPY [--from=build] src... dest, RUN (steps joined by &&), USER, EXPOSE, VOLUME, HEALTHCHECK
# and CMD (exec form).

# ---- build: compile TypeScript; nothing of this stage but dist/ reaches the image
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the TypeScript compile needs no native addon, so better-sqlite3 is neither
# downloaded nor compiled here (the runtime stage installs it once, for the image).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build

# ---- runtime: compiled code and production dependencies only, run as the non-root node user
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
# swagger-ui-dist's dependency @scarf/scarf would report the install to its vendor otherwise.
ENV SCARF_ANALYTICS=false
WORKDIR /app
# The application files stay owned by root (read-only to node); only the data folder is writable.
COPY package.json package-lock.json ./
# Production dependencies are installed here, not copied from the build stage. better-sqlite3
# downloads a prebuilt binary when GitHub is reachable, else node-gyp compiles it, so its
# toolchain (python3 make g++) is there for this one step only. One layer: the toolchain, the
# apt lists and the npm cache are gone before it is committed, so the image keeps none of them.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && npm ci --omit=dev --no-audit --no-fund \
    && apt-get purge -y --auto-remove python3 make g++ \
    && rm -rf /var/lib/apt/lists/* \
    && npm cache clean --force
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
