# One image for every service and the console; the command chooses which: `crm serve registration`,
# …, `crm serve console`.
# Console stage: the web console built with node; only its dist/ reaches the final image.
FROM node:20.18.1-bookworm-slim AS console
WORKDIR /console
COPY console/package.json console/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY console/index.html console/vite.config.ts console/tsconfig.json ./
COPY console/src ./src
RUN npm run build

# Build stage: compile nothing in the final image, only copy the finished virtualenv.
FROM python:3.11.7-slim-bookworm AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements.lock pyproject.toml ./
RUN python -m venv /venv \
    && /venv/bin/pip install --no-deps -r requirements.lock
COPY crm ./crm
COPY shared ./shared
COPY services ./services
RUN /venv/bin/pip install --no-deps .

FROM python:3.11.7-slim-bookworm
# A fixed, unprivileged user; the root filesystem can be mounted read-only (SQLite is
# for the embedded default only: in Kubernetes the stores are PostgreSQL).
RUN groupadd --system --gid 10001 crm \
    && useradd --system --uid 10001 --gid crm --no-create-home --shell /usr/sbin/nologin crm
COPY --from=build /venv /venv
COPY --from=console /console/dist /srv/console
ENV PATH=/venv/bin:$PATH \
    CRM_CONSOLE_DIST=/srv/console \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CRM_HOST=0.0.0.0 \
    CRM_PORT=8080 \
    CRM_DATA_DIR=/tmp/crm
USER 10001:10001
EXPOSE 8080
HEALTHCHECK NONE
ENTRYPOINT ["crm", "serve"]
CMD ["all"]
