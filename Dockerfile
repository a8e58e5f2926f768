# syntax=docker/dockerfile:1
# Build: everything C (SQLite, libpq, OpenSSL, jemalloc) is compiled from source by the -sys crates, so the
# builder needs only the Rust toolchain, a C compiler, make and perl.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY templates templates
RUN cargo build --release --locked

# Run: a small image with the binary, the seeds, and an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /app --uid 10001 kaiji \
 && mkdir -p /app/data && chown kaiji /app/data
COPY --from=build /src/target/release/kaiji /usr/local/bin/kaiji
COPY seeds /app/seeds
WORKDIR /app
ENV KAIJI_BIND=0.0.0.0:8080 \
    KAIJI_DATA_DIR=/app/data \
    KAIJI_SEEDS_DIR=/app/seeds \
    KAIJI_LOG_FORMAT=json
VOLUME /app/data
EXPOSE 8080
USER kaiji
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
CMD ["kaiji", "serve"]
