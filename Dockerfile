# rosterbox as a container: the single binary (npm run build) on a slim Debian, as a
# non-root user, data in a volume, health from /healthz.
#
#   docker build -t rosterbox .
#   docker run -p 2222:2222 -p 8080:8080 -v rosterbox-data:/var/lib/rosterbox rosterbox
#       (no config: the embedded demo; its generated passwords are in the first log lines)
#   docker run ... -v /srv/rosterbox.yaml:/etc/rosterbox/rosterbox.yaml:ro rosterbox serve --config /etc/rosterbox/rosterbox.yaml
#
# Not built on the machines this project is developed on (no Docker engine there); see the README.

FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && ./dist/rosterbox --help >/dev/null

FROM debian:bookworm-slim
RUN useradd --system --home-dir /var/lib/rosterbox --shell /usr/sbin/nologin rosterbox \
 && install -d -o rosterbox -g rosterbox -m 0750 /var/lib/rosterbox /var/cache/rosterbox
COPY --from=build /src/dist/rosterbox /usr/local/bin/rosterbox
COPY appliance/rosterbox.example.yaml /usr/local/share/doc/rosterbox/rosterbox.example.yaml
ENV ROSTERBOX_DATA_DIR=/var/lib/rosterbox \
    ROSTERBOX_CACHE_DIR=/var/cache/rosterbox \
    ROSTERBOX_HTTP_LISTEN=0.0.0.0:8080 \
    ROSTERBOX_SFTP_LISTEN=0.0.0.0:2222
USER rosterbox
WORKDIR /var/lib/rosterbox
VOLUME ["/var/lib/rosterbox"]
EXPOSE 2222 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD ["rosterbox", "healthcheck", "--url", "http://127.0.0.1:8080/healthz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["rosterbox"]
CMD ["serve"]
